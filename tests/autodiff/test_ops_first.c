/* First-order gradient checks of every autodiff op against central finite
 * differences (the cases are in op_cases.c). */
#include "op_cases.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_first_order)
{
    const op_case *c = &oc_cases[_i];
    gc_input in[GC_MAXIN];
    oc_setup(c, in);
    for (int k = 0; k < c->nin; k++)
        ck_assert_ptr_nonnull(in[k].data);
    gc_opts o = {.eps = c->eps, .tol = c->tol, .min_abs = 1e-3};
    gc_result r = gc_check_first(c->fn, (void *)c, c->nin, in, &o);
    oc_free(c, in);
    ck_assert_msg(r.ok, "%s: %s", c->name, r.msg);
    ck_assert_int_gt(r.checked, 0);
}
END_TEST

/* Every op of the enum (but the leaf) has at least one case. */
START_TEST(test_every_op_covered)
{
    int seen[ML_AD_OP_COUNT] = {0};
    for (int i = 0; i < oc_ncases; i++)
        seen[oc_cases[i].op] = 1;
    for (int op = 1; op < ML_AD_OP_COUNT; op++)
        ck_assert_msg(seen[op], "no gradient check for op %s",
                      ml_ad_op_name(op));
}
END_TEST

static Suite *ops_first_suite(void)
{
    Suite *s = suite_create("ops_first");
    TCase *tc = tcase_create("first_order");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_op_covered);
    tcase_add_loop_test(tc, test_first_order, 0, oc_ncases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_first_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

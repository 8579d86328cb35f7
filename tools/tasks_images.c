/* --task omniglot:DIR and --task idx:IMAGES,LABELS: N-way K-shot image
 * classification episodes, the few-shot benchmark of the papers, on the
 * Conv-4 network (Vinyals et al., Snell et al., Finn et al.).
 *
 * The classes of a run come from a split of the data set's classes:
 * --train-split for train, --test-split for eval, each `all`,
 * `groups:A,B,...` (Omniglot alphabets), `classes:A,B,...` or
 * `fraction:F` (a seeded random share of the classes), and for the test
 * side `rest`: the classes the train split leaves out.  A learner file
 * does not record the split it was trained on, so eval takes the same
 * --train-split to compute `rest`. */
#include "tasks.h"

#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SPLIT_ALL = 0, SPLIT_REST = -1 };   /* besides the ml_split_rule values */

typedef struct split_rule {
    int rule;                /* SPLIT_ALL, SPLIT_REST or an ml_split_rule */
    const char *spec;        /* names or fraction (points into argv) */
    const char *text;        /* as given, "all" when defaulted */
} split_rule;

/* What load() keeps: the classes the tasks are drawn from. */
typedef struct image_data {
    ml_dataset *data;
    size_t ndim, shape[3];
} image_data;

static int parse_split(const char *text, const char *opt, const char *cmd,
                       split_rule *out)
{
    static const struct {
        const char *prefix;
        int rule;
    } rules[] = {
        {"groups:", ML_SPLIT_GROUPS},
        {"classes:", ML_SPLIT_CLASSES},
        {"fraction:", ML_SPLIT_FRACTION},
    };
    out->text = text;
    out->spec = NULL;
    if (strcmp(text, "all") == 0) {
        out->rule = SPLIT_ALL;
        return EXIT_OK;
    }
    if (strcmp(text, "rest") == 0) {
        if (strcmp(opt, "test-split") != 0)
            return cli_usage_error("%s: --%s: 'rest' is for --test-split only (the classes "
                                   "--train-split leaves out)", cmd, opt);
        out->rule = SPLIT_REST;
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        size_t n = strlen(rules[i].prefix);
        if (strncmp(text, rules[i].prefix, n) != 0)
            continue;
        out->rule = rules[i].rule;
        out->spec = text + n;
        if (!*out->spec)
            return cli_usage_error("%s: --%s: '%s' names nothing", cmd, opt, text);
        if (out->rule == ML_SPLIT_FRACTION) {
            char *end;
            double f = strtod(out->spec, &end);
            if (*end || end == out->spec || !(f > 0.0 && f < 1.0))
                return cli_usage_error("%s: --%s: '%s': the fraction must be a number "
                                       "between 0 and 1, e.g. fraction:0.8", cmd, opt, text);
        }
        return EXIT_OK;
    }
    return cli_usage_error("%s: --%s: unknown split '%s' (known: all, groups:A,B,..., "
                           "classes:A,B,..., fraction:F%s)", cmd, opt, text,
                           strcmp(opt, "test-split") == 0 ? ", rest" : "");
}

/* Both rules as the options give them, with their defaults: train `all`;
 * test `rest` when a train split is given, else `all`. */
static int split_rules(const task_opts *o, const char *cmd, split_rule *train,
                       split_rule *test)
{
    int rc = parse_split(o->train_split ? o->train_split : "all", "train-split", cmd, train);
    if (rc != EXIT_OK)
        return rc;
    const char *t = o->test_split ? o->test_split : train->rule == SPLIT_ALL ? "all" : "rest";
    if ((rc = parse_split(t, "test-split", cmd, test)) != EXIT_OK)
        return rc;
    if (test->rule == SPLIT_REST && train->rule == SPLIT_ALL)
        return cli_usage_error("%s: --test-split rest needs a --train-split: rest is the "
                               "classes the train split leaves out", cmd);
    return EXIT_OK;
}

static int images_resolve(task_spec *ts, const char *cmd)
{
    task_opts *o = &ts->opts;
    int idx = ts->kind == &task_kind_idx;
    int rc = task_refuse_range_options(ts, cmd);
    if (rc != EXIT_OK)
        return rc;
    if (idx) {
        const char *comma = strchr(ts->arg, ',');
        if (!comma || comma == ts->arg || !comma[1] || strchr(comma + 1, ','))
            return cli_usage_error("%s: --task idx:IMAGES,LABELS: expected two file names "
                                   "separated by one comma, not '%s'", cmd, ts->arg);
        if (o->image_size_given)
            return cli_usage_error("%s: --image-size applies to omniglot; IDX images keep "
                                   "their size", cmd);
    }
    if (o->use != TASK_USE_TRAIN) {
        const char *bad = o->rotations_given ? "--rotations"
                          : o->shift_given   ? "--augment-shift"
                          : o->filters_given ? "--filters"
                          : o->blocks_given  ? "--blocks"
                                             : NULL;
        if (bad)
            return cli_usage_error("%s: %s applies to train only (evaluation never "
                                   "rotates or shifts; the learner file fixes the "
                                   "network)", cmd, bad);
    }
    split_rule train, test;
    if ((rc = split_rules(o, cmd, &train, &test)) != EXIT_OK)
        return rc;
    if (o->split_seed_given && train.rule != ML_SPLIT_FRACTION &&
        test.rule != ML_SPLIT_FRACTION)
        return cli_usage_error("%s: --split-seed applies to fraction: splits only", cmd);
    if (!o->shots_given)
        o->shots = 1;
    if (!o->queries_given)
        o->queries = o->use == TASK_USE_TRAIN ? 5 : 15;
    if (!o->rotations_given)
        o->rotations = idx ? 0 : 1;
    if (o->use != TASK_USE_TRAIN)
        o->rotations = 0;
    return EXIT_OK;
}

/* The classes of `rule` (REST: those `train` leaves out) in *out; NULL
 * for `all`. */
static int apply_split(const ml_dataset *all, const split_rule *rule, const split_rule *train,
                       const char *opt, uint64_t seed, ml_dataset **out)
{
    *out = NULL;
    if (rule->rule == SPLIT_ALL)
        return EXIT_OK;
    ml_status st;
    if (rule->rule == SPLIT_REST)
        st = ml_dataset_split(all, (ml_split_rule)train->rule, train->spec, seed, NULL, out);
    else
        st = ml_dataset_split(all, (ml_split_rule)rule->rule, rule->spec, seed, out, NULL);
    if (st != ML_OK)
        return cli_fail("--%s %s: %s", rule->rule == SPLIT_REST ? "train-split" : opt,
                        rule->rule == SPLIT_REST ? train->text : rule->text,
                        ml_dataset_last_error(all));
    return EXIT_OK;
}

static size_t count_groups(const ml_dataset *d)
{
    size_t n = 0, c = ml_dataset_num_classes(d);
    const char *prev = NULL;
    for (size_t i = 0; i < c; i++) {
        const char *g = ml_dataset_class_group(d, i);
        if (g && *g && (!prev || strcmp(prev, g) != 0))
            n++;
        prev = g;
    }
    return n;
}

/* The number of classes of `a` that `b` also has (by name). */
static size_t shared_classes(const ml_dataset *a, const ml_dataset *b)
{
    size_t n = 0, na = ml_dataset_num_classes(a), nb = ml_dataset_num_classes(b);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (strcmp(ml_dataset_class_name(a, i), ml_dataset_class_name(b, j)) == 0) {
                n++;
                break;
            }
    return n;
}

/* eval: a test split that overlaps the train split measures seen classes;
 * say so (the numbers are still computed). */
static int warn_overlap(const ml_dataset *all, const ml_dataset *test, const split_rule *train,
                        const split_rule *rule, uint64_t seed)
{
    if (train->rule == SPLIT_ALL || rule->rule == SPLIT_REST)
        return EXIT_OK;
    ml_dataset *tr = NULL;
    int rc = apply_split(all, train, train, "train-split", seed, &tr);
    if (rc != EXIT_OK)
        return rc;
    size_t n = shared_classes(test, tr);
    if (n)
        fprintf(stderr,
                PROG ": warning: %zu of the %zu test classes are in the train split (%s): "
                "the accuracy is not on unseen classes\n",
                n, ml_dataset_num_classes(test), train->text);
    ml_dataset_free(tr);
    return EXIT_OK;
}

static size_t square_side(size_t n)
{
    size_t s = (size_t)(sqrt((double)n) + 0.5);
    return s * s == n ? s : 0;
}

/* With an existing learner, its network fixes the image size (omniglot:
 * the default is the learner's, if its inputs are square). */
static void learner_image_size(task_spec *ts, const ml_learner *l)
{
    task_opts *o = &ts->opts;
    if (ts->kind == &task_kind_omniglot && !o->image_size_given) {
        size_t side = square_side(ml_model_input_size(ml_learner_model(l)));
        if (side)
            o->image_size = side;
    }
}

/* ... and its inputs must be the images, and for the gradient-based
 * strategies the number of ways is the number of outputs. */
static int learner_fits(task_spec *ts, const char *cmd, const ml_learner *l)
{
    task_opts *o = &ts->opts;
    const image_data *d = ts->data;
    const ml_model *m = ml_learner_model(l);
    size_t in = ml_model_input_size(m), have = ml_dataset_input_size(d->data);
    if (in != have)
        return cli_usage_error("%s: the learner takes %zu inputs per example, the images "
                               "have %zu (%zux%zu)%s",
                               cmd, in, have, d->shape[1], d->shape[2],
                               ts->kind == &task_kind_omniglot
                                   ? ": give the --image-size it was trained with"
                                   : "");
    if (cli_strategy_is_metric(ml_learner_strategy(l)))
        return EXIT_OK;
    size_t out = ml_model_output_size(m);
    if (!o->ways_given && out >= 2)
        o->ways = out;
    else if (o->ways != out)
        return cli_usage_error("%s: the %s learner classifies into %zu ways (its last layer "
                               "has %zu outputs), not %llu",
                               cmd, cli_strategy_name(ml_learner_strategy(l)), out, out,
                               (unsigned long long)o->ways);
    return EXIT_OK;
}

static void describe(const task_spec *ts, const ml_dataset *all, const ml_dataset *use,
                     const split_rule *rule, const split_rule *train)
{
    const task_opts *o = &ts->opts;
    image_data *d = ts->data;
    size_t groups = count_groups(all), classes = ml_dataset_num_classes(use);
    printf("data: %s: %zu images of %zux%zu in %zu classes", ts->opts.spec,
           ml_dataset_size(all), d->shape[1], d->shape[2], ml_dataset_num_classes(all));
    if (groups)
        printf(" (%zu groups)", groups);
    printf("; %s on ", o->use == TASK_USE_TRAIN ? "training" : "testing");
    if (rule->rule == SPLIT_ALL)
        printf("all %zu classes", classes);
    else if (rule->rule == SPLIT_REST)
        printf("the %zu classes --train-split %s leaves out", classes, train->text);
    else
        printf("%s: %zu classes", rule->text, classes);
    if (o->rotations)
        printf(", x4 with rotations");
    if (o->shift)
        printf(", shifted by up to %llu pixels", (unsigned long long)o->shift);
    printf("\n");
    fflush(stdout);
}

static int images_load(task_spec *ts, const char *cmd, const ml_learner *l)
{
    task_opts *o = &ts->opts;
    split_rule train, test;
    int rc = split_rules(o, cmd, &train, &test);
    if (rc != EXIT_OK)
        return rc;
    const split_rule *rule = o->use == TASK_USE_TRAIN ? &train : &test;
    if (l)
        learner_image_size(ts, l);

    ml_dataset *all = NULL, *sub = NULL;
    ml_status st;
    if (ts->kind == &task_kind_idx) {
        char images[sizeof ts->arg];
        strcpy(images, ts->arg);
        char *labels = strchr(images, ',');
        *labels++ = '\0';
        st = ml_dataset_load_idx(&all, images, labels);
    } else {
        st = ml_dataset_load_images(&all, ts->arg, (size_t)o->image_size, 1);
    }
    if (st != ML_OK)
        return cli_lib_error(NULL);
    rc = apply_split(all, rule, &train,
                     o->use == TASK_USE_TRAIN ? "train-split" : "test-split", o->split_seed,
                     &sub);
    image_data *d = NULL;
    if (rc == EXIT_OK && !(d = calloc(1, sizeof *d)))
        rc = cli_fail("out of memory");
    if (rc == EXIT_OK) {
        d->data = sub ? sub : all;
        ml_dataset_shape(d->data, &d->ndim, d->shape);
        if (d->ndim == 2) {     /* (height, width): one channel */
            d->shape[2] = d->shape[1];
            d->shape[1] = d->shape[0];
            d->shape[0] = 1;
            d->ndim = 3;
        }
        /* The library refuses these too; here they are argument errors. */
        if (o->shift && (o->shift >= d->shape[1] || d->shape[1] != d->shape[2]))
            rc = cli_usage_error("%s: --augment-shift %llu needs square images larger "
                                 "than that; these are %zux%zu", cmd,
                                 (unsigned long long)o->shift, d->shape[1], d->shape[2]);
        ts->data = d;
        ts->split = rule->text;
        ts->classes = ml_dataset_num_classes(d->data);
        if (l)
            rc = learner_fits(ts, cmd, l);
    }
    if (rc == EXIT_OK && o->use == TASK_USE_EVAL)
        rc = warn_overlap(all, d->data, &train, rule, o->split_seed);
    if (rc == EXIT_OK)
        describe(ts, all, d->data, rule, &train);
    if (rc != EXIT_OK) {
        ml_dataset_free(sub);
        ml_dataset_free(all);
        free(d);
        ts->data = NULL;
    } else if (sub) {
        ml_dataset_free(all);
    }
    return rc;
}

static void images_release(task_spec *ts)
{
    image_data *d = ts->data;
    if (d) {
        ml_dataset_free(d->data);
        free(d);
    }
    ts->data = NULL;
}

/* Conv-4: the embedding for the metric strategies, with a dense layer of
 * `ways` outputs for the gradient-based ones.  The relation network keeps
 * feature maps for its convolutional module, pooling in the first two
 * blocks only (Sung et al. 2018: 64 maps of 7x7 on 28x28 images). */
static ml_status images_model(const task_spec *ts, int strategy, ml_model **out)
{
    const image_data *d = ts->data;
    const task_opts *o = &ts->opts;
    if (strategy == ML_STRATEGY_RELATION)
        return ml_model_create_conv4_maps(out, d->shape[0], d->shape[1], d->shape[2],
                                          (size_t)o->filters, (size_t)o->blocks,
                                          o->blocks < 2 ? (size_t)o->blocks : 2);
    size_t n_out = cli_strategy_is_metric(strategy) ? 0 : (size_t)o->ways;
    return ml_model_create_conv4(out, d->shape[0], d->shape[1], d->shape[2],
                                 (size_t)o->filters, (size_t)o->blocks, n_out);
}

static ml_status images_sampler(const task_spec *ts, uint64_t seed, ml_sampler **out)
{
    const image_data *d = ts->data;
    const task_opts *o = &ts->opts;
    ml_sampler *s;
    ml_status st = ml_sampler_create_episodes(&s, d->data, seed);
    if (st != ML_OK)
        return st;
    const struct {
        ml_sampler_param key;
        double value;
    } set[] = {
        {ML_SAMPLER_WAYS, (double)o->ways},
        {ML_SAMPLER_SHOTS, (double)o->shots},
        {ML_SAMPLER_QUERIES, (double)o->queries},
        {ML_SAMPLER_ROTATIONS, o->use == TASK_USE_TRAIN ? (double)o->rotations : 0.0},
        {ML_SAMPLER_SHIFT, o->use == TASK_USE_TRAIN ? (double)o->shift : 0.0},
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0] && st == ML_OK; i++)
        st = ml_sampler_set(s, set[i].key, set[i].value);
    if (st != ML_OK) {
        ml_sampler_free(s);
        return st;
    }
    *out = s;
    return ML_OK;
}

const task_kind task_kind_omniglot = {
    .name = "omniglot",
    .arg_name = "DIR",
    .summary = "N-way K-shot episodes from a directory of PNGs in the Omniglot layout",
    .classification = 1,
    .resolve = images_resolve,
    .load = images_load,
    .release = images_release,
    .make_model = images_model,
    .make_sampler = images_sampler,
    .make_plot_task = NULL,
};

const task_kind task_kind_idx = {
    .name = "idx",
    .arg_name = "IMAGES,LABELS",
    .summary = "N-way K-shot episodes from MNIST-style IDX files (gzip or not)",
    .classification = 1,
    .resolve = images_resolve,
    .load = images_load,
    .release = images_release,
    .make_model = images_model,
    .make_sampler = images_sampler,
    .make_plot_task = NULL,
};

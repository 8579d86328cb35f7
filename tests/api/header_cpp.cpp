// Compiled by header_test.sh as C++11 with -pedantic -Werror: the public
// header must compile as C++ and give C linkage to its functions, so this
// program links against the C library.
#include "metalearn.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

// C linkage, checked at compile time: the functions must have the types of
// the C declarations.
extern "C" typedef const char *string_fn(void);
string_fn *const version_fn = &ml_version_string;
string_fn *const last_error_fn = &ml_last_error;

bool starts_with(const char *s, const char *prefix)
{
    return s != NULL && std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

} // namespace

int main()
{
    int bad = 0;
    const ml_status st = ML_ERR_SHAPE;
    const ml_learner *learner = NULL;
    const ml_optimizer *optimizer = NULL;

    const std::string want = std::to_string(ML_VERSION_MAJOR) + "." +
                             std::to_string(ML_VERSION_MINOR) + "." +
                             std::to_string(ML_VERSION_PATCH);
    const char *ver = version_fn();
    if (ver == NULL || want != ver) {
        std::fprintf(stderr, "ml_version_string() = %s, header says %s\n",
                     ver ? ver : "(null)", want.c_str());
        bad = 1;
    }
    if (ml_version_number() != static_cast<unsigned>(ML_VERSION_NUMBER)) {
        std::fprintf(stderr, "ml_version_number() = %u\n", ml_version_number());
        bad = 1;
    }
    if (!starts_with(ml_status_str(st), "ML_ERR_SHAPE")) {
        std::fprintf(stderr, "ml_status_str(ML_ERR_SHAPE) is wrong\n");
        bad = 1;
    }
    if (last_error_fn() == NULL || learner != NULL || optimizer != NULL) {
        std::fprintf(stderr, "ml_last_error() returned NULL\n");
        bad = 1;
    }
    std::printf("C++: %s %s\n", ver ? ver : "(null)", bad ? "FAILED" : "ok");
    return bad;
}

/* The fuzz targets without libFuzzer: feeds each file named on the command
 * line, and each regular file of each directory named (in name order, so
 * runs are repeatable), to LLVMFuzzerTestOneInput.  This is how the
 * committed corpora and the crash regressions run in every build (meson
 * test --suite fuzz), also with gcc and under valgrind.
 *
 * Each input is copied into a buffer of exactly its size, so the
 * sanitizers see a read one byte past the end.  No input at all is an
 * error: a corpus that went missing must not pass silently. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 0;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    int bad = !buf || ferror(f);
    fclose(f);
    /* malloc(0) may return NULL; an empty input is still an input. */
    unsigned char *exact = bad ? NULL : malloc(n ? n : 1);
    if (!exact) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return 0;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 1;
}

static int select_visible(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    size_t inputs = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i]))
                inputs++;
            else
                failed = 1;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, select_visible, alphasort);
        if (n < 0) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            struct stat fb;
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (stat(path, &fb) == 0 && S_ISREG(fb.st_mode)) {
                fprintf(stderr, "%s\n", path);
                if (run_file(path))
                    inputs++;
                else
                    failed = 1;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("replayed %zu inputs\n", inputs);
    if (inputs == 0) {
        fprintf(stderr, "no input found\n");
        return 1;
    }
    return failed;
}

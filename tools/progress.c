/* Progress reporting.  The loss shown is an exponential moving average
 * over about the last 100 iterations (single meta-batches are noisy), with
 * the start-up bias divided out as in Adam so the first values are not
 * pulled towards zero. */
#include "progress.h"

#include "cli.h"

#include <math.h>
#include <unistd.h>

enum { BAR_WIDTH = 24 };
static const double EMA_BETA = 0.99;
/* Redrawing more often than this costs time and shows nothing new. */
static const double REDRAW_SECONDS = 0.1;

void progress_start(progress *p, const char *label, uint64_t first, uint64_t total,
                    uint64_t every, int quiet)
{
    p->f = stderr;
    p->tty = isatty(fileno(stderr));
    p->quiet = quiet;
    p->drawn = 0;
    p->label = label;
    p->unit = "iter";
    p->show_loss = 1;
    p->first = first;
    p->total = total;
    uint64_t n = total > first ? total - first : 1;
    p->every = every ? every : (n >= 10 ? n / 10 : 1);
    p->t0 = cli_now();
    p->last_draw = -1.0;
    p->ema = 0.0;
    p->ema_weight = 0.0;
}

static void format_duration(char *buf, size_t cap, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "--:--");
    else {
        unsigned long t = (unsigned long)(s + 0.5);
        if (t >= 3600)
            snprintf(buf, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
        else
            snprintf(buf, cap, "%lu:%02lu", t / 60, t % 60);
    }
}

double progress_loss(const progress *p)
{
    return p->ema_weight > 0 ? p->ema / p->ema_weight : NAN;
}

void progress_update(progress *p, uint64_t done, double loss)
{
    if (isfinite(loss)) {   /* a diverged test episode is counted, not averaged */
        p->ema = EMA_BETA * p->ema + (1.0 - EMA_BETA) * loss;
        p->ema_weight = EMA_BETA * p->ema_weight + (1.0 - EMA_BETA);
    }
    if (p->quiet)
        return;
    double now = cli_now(), elapsed = now - p->t0;
    int last = done >= p->total;
    if (p->tty ? (!last && now - p->last_draw < REDRAW_SECONDS)
               : (!last && (done - p->first) % p->every != 0))
        return;
    p->last_draw = now;
    double rate = elapsed > 0 ? (double)(done - p->first) / elapsed : 0.0;
    char eta[32];
    format_duration(eta, sizeof eta,
                    rate > 0 ? (double)(p->total - done) / rate : NAN);
    char loss_text[48] = "";
    if (p->show_loss) {
        char num[32];
        snprintf(loss_text, sizeof loss_text, " loss %s", cli_num(num, progress_loss(p)));
    }
    int prec = rate < 10 ? 2 : 0;      /* image tasks run a few iterations a second */
    if (!p->tty) {
        fprintf(p->f, "%s%s%s %llu/%llu%s %.*f it/s eta %s\n",
                p->label ? p->label : "", p->label ? ": " : "", p->unit,
                (unsigned long long)done,
                (unsigned long long)p->total, loss_text, prec, rate, eta);
        fflush(p->f);
        return;
    }
    double frac = p->total ? (double)done / (double)p->total : 1.0;
    char bar[BAR_WIDTH + 1];
    int full = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < full ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    /* \r and "erase to end of line" redraw in place without scrolling. */
    /* The count is padded to the width of the total so the bar stays put. */
    int width = snprintf(NULL, 0, "%llu", (unsigned long long)p->total);
    fprintf(p->f, "\r%s%s%*llu/%llu [%s] %3.0f%%%s %.*f it/s ETA %s\033[K",
            p->label ? p->label : "", p->label ? " " : "", width, (unsigned long long)done,
            (unsigned long long)p->total, bar, 100.0 * frac, loss_text, prec, rate, eta);
    fflush(p->f);
    p->drawn = 1;
}

void progress_finish(progress *p)
{
    if (p->drawn) {
        fputc('\n', p->f);
        fflush(p->f);
        p->drawn = 0;
    }
}

/* metalearn train --mpi: train_run() with every meta-batch spread over
 * the ranks of MPI_COMM_WORLD. */
#ifndef METALEARN_TOOL_TRAIN_MPI_H
#define METALEARN_TOOL_TRAIN_MPI_H

#include "commands.h"

/* Initialises MPI, trains as one of its ranks, finalises.  An exit
 * status.  Releases ts's data. */
int train_mpi_run(const train_opts *o, task_spec *ts);

#endif

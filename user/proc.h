/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>

/* Fill out[] with up to max pids descended from root (not root itself);
 * returns how many, or -1 when /proc cannot be read. */
int proc_descendants(int root, int *out, int max);

/* pid has exited: no such process, or a zombie not yet reaped. */
bool proc_gone(int pid);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROC_H
#define PROC_H

/* Fill out[] with up to max pids descended from root (not root itself);
 * returns how many, or -1 when /proc cannot be read. */
int proc_descendants(int root, int *out, int max);

#endif

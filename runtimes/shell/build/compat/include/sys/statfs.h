/* empty sandflow compat stub: sys/statfs.h */

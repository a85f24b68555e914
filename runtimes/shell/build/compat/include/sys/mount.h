/* empty sandflow compat stub: sys/mount.h */

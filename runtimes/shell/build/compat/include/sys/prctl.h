/* empty sandflow compat stub: sys/prctl.h */

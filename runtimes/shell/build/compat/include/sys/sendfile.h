/* empty sandflow compat stub: sys/sendfile.h */

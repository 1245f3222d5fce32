lib_src += topology/impair.c topology/model.c topology/parser.c topology/frr.c topology/nodeopts.c

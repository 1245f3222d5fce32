lib_src += topology/model.c topology/parser.c topology/frr.c

/* optim/list.h - the optimizer table: one line per optimizer, each defined in
 * optim/<name>.c as `const pn_optim_def pn_optim_<name>`. Order is the listing
 * order of pynn._C.optimizers(); names are what pynn.optimizers asks for. */
PN_OPTIM(sgd)
PN_OPTIM(rmsprop)
PN_OPTIM(adam)
PN_OPTIM(adagrad)
PN_OPTIM(adamax)
PN_OPTIM(nadam)
PN_OPTIM(nsgd)
PN_OPTIM(lion)
PN_OPTIM(lamb)
PN_OPTIM(adafactor)
PN_OPTIM(ftrl)
PN_OPTIM(adadelta)
PN_OPTIM(schedule_free_adamw)

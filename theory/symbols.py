"""The one set of sympy symbols used across icl-theory.

Import symbols from here rather than creating new ones, so that expressions built in
different modules share the same assumptions and compare equal.
"""
import sympy as sp

#: context ratio P/D (proportional regime)
alpha = sp.Symbol("alpha", positive=True)
#: inverse context ratio D/P, the Marchenko-Pastur ratio
c = sp.Symbol("c", positive=True)
#: step / preconditioner scale, Gamma = gamma * I
gamma = sp.Symbol("gamma", nonnegative=True)
#: depth (number of layers = number of in-context GD steps)
L = sp.Symbol("L", positive=True, integer=True)
#: label-noise variance
sigma2 = sp.Symbol("sigma2", nonnegative=True)
#: capacity and source exponents of the power-law spectrum
nu = sp.Symbol("nu", positive=True)
beta = sp.Symbol("beta", positive=True)
#: spectral variable (eigenvalue of the sample covariance)
lam = sp.Symbol("lambda", positive=True)
#: complex spectral parameter of resolvents / tau-transforms
z = sp.Symbol("z")
#: gradient-flow time
t = sp.Symbol("t", nonnegative=True)
#: residual-stream width and context length (absolute, power-law regime)
N = sp.Symbol("N", positive=True)
P = sp.Symbol("P", positive=True)
#: mode index of a spectrum
k = sp.Symbol("k", positive=True, integer=True)
#: rotation angle of the out-of-distribution test covariance
theta = sp.Symbol("theta", real=True)
#: tau-transform value
tau = sp.Symbol("tau")

__all__ = ["alpha", "c", "gamma", "L", "sigma2", "nu", "beta", "lam", "z", "t", "N", "P",
           "k", "theta", "tau"]

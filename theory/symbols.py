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

#: width ratio N/D of the rank-N projection (proportional regime)
alpha_N = sp.Symbol("alpha_N", positive=True)
#: Marchenko–Pastur ratio D/P of the Wishart factor of Σ̂
q = sp.Symbol("q", positive=True)
#: second contour point and its τ-transform value (two-point functions)
z2 = sp.Symbol("z'")
tau2 = sp.Symbol("tau'")
#: SGD: learning rate η, batch ratio τ_B = B/D (named apart from the τ-transform), query ratio
#: κ = K/D, step count n
eta = sp.Symbol("eta", positive=True)
tau_batch = sp.Symbol("tau_B", positive=True)
kappa = sp.Symbol("kappa", positive=True)
n_step = sp.Symbol("n", nonnegative=True, integer=True)

__all__ = ["alpha", "c", "gamma", "L", "sigma2", "nu", "beta", "lam", "z", "t", "N", "P",
           "k", "theta", "tau", "alpha_N", "q", "z2", "tau2", "eta", "tau_batch", "kappa",
           "n_step"]

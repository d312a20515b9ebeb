"""The statistics the report states: Wilson and clustered intervals, exact McNemar, paired differences, power."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    successes: int
    total: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        return self.successes / self.total if self.total else None


def wilson(successes: int, total: int, z: float = Z95) -> Proportion:
    """Wilson score interval: sane at 0% and 100% and for small n, unlike the normal approximation."""
    if total == 0:
        return Proportion(0, 0, math.nan, math.nan)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, no rounding residue
    high = 1.0 if successes == total else min(1.0, centre + half)
    return Proportion(successes, total, low, high)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (b: only A right, c: only B right)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def percentile(values, q: float) -> float | None:
    """Linear-interpolation percentile, q in [0, 100]; None for no data."""
    data = [v for v in values if v is not None]
    return float(np.percentile(data, q)) if data else None


def effective_length(scores_by_tier: dict[str, float | None], threshold: float) -> str | None:
    """The longest tier whose score, and every shorter tier's, stays at or above the threshold (RULER, NoLiMa)."""
    from ..generate.contexts import tier_budget

    best = None
    for tier in sorted(scores_by_tier, key=tier_budget):
        score = scores_by_tier[tier]
        if score is None or score < threshold:
            break
        best = tier
    return best


# --- Clustered standard errors, paired differences and power (Miller 2024, "Adding Error Bars to Evals") ---

#: Power the minimum detectable difference is stated at, and its normal quantile.
POWER = 0.80
Z_POWER = 0.8416212335729143

#: The fewest rows a per-type or per-family figure (and an effective length from it) is shown for; below it the
#: report says "too few rows". At 30 rows a 95% interval at 50% accuracy is already +-0.17 wide.
MIN_ROWS = 30

#: Two-sided 95% Student t quantiles by degrees of freedom (1..30); larger df interpolate in 1/df towards Z95.
_T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
         2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
         2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)


def t_critical(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom (the normal one for df >= 1000)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    if df >= 1000:
        return Z95
    w = (1 / df) / (1 / len(_T975))  # linear in 1/df between df=30 and infinity: error < 1e-3
    return Z95 + w * (_T975[-1] - Z95)


@dataclass(frozen=True)
class Estimate:
    """A mean with a 95% interval: `method` says how the interval was made, `clusters` how many contexts it saw."""

    n: int
    mean: float | None
    se: float | None
    low: float | None
    high: float | None
    clusters: int
    method: str


def clustered_se(values, clusters) -> tuple[float, float, int]:
    """(mean, cluster-robust standard error, number of clusters): CR1, G/(G-1) * sum_g (sum_i e_i)^2 / n^2.

    Rows that share a context are not independent (a context easy for a model is easy for all its rows),
    so the variance is summed per cluster before squaring; with one row per cluster it is the usual one.
    The standard error is NaN with fewer than two clusters (between-context variation cannot be measured).
    """
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        return math.nan, math.nan, 0
    _, groups = np.unique(np.asarray([str(c) for c in clusters]), return_inverse=True)
    g = int(groups.max()) + 1
    mean = float(y.mean())
    if g < 2:
        return mean, math.nan, g
    sums = np.bincount(groups, weights=y - mean, minlength=g)
    variance = g / (g - 1) * float(np.sum(sums**2)) / y.size**2
    return mean, math.sqrt(variance), g


@dataclass(frozen=True)
class Spread:
    """A mean's standard error over fixed strata (tiers) with random clusters (contexts) inside them."""

    mean: float
    se: float
    clusters: int  # contexts, over all strata
    df: int  # degrees of freedom of the t quantile: sum over strata of (clusters - 1), or (rows - 1) where one context
    one_context_strata: int  # strata with a single context: their variance is the rows' (holds for that context)
    strata: int


def stratified_se(values, clusters, strata=None) -> Spread:
    """The standard error of the overall mean when strata are fixed and clusters inside them are random.

    Tiers differ by design, so they are strata, not noise: the overall mean is sum_s (n_s/n) mean_s and its
    variance sum_s (n_s/n)^2 V_s, with V_s the stratum's CR1 clustered variance (`clustered_se`) where it holds
    two or more contexts, and the rows' own variance s^2/n_s where it holds one (between-context variation is
    not measurable there: that part of the estimate holds for that context only).
    """
    y = np.asarray(values, dtype=float)
    cl = [str(c) for c in clusters]
    st = ["" for _ in cl] if strata is None else [str(x) for x in strata]
    n = y.size
    variance = 0.0
    total_clusters = df = single = 0
    for stratum in sorted(set(st)):
        idx = [i for i, x in enumerate(st) if x == stratum]
        ys = y[idx]
        mean_s, se_s, g = clustered_se(ys, [cl[i] for i in idx])
        total_clusters += g
        if g >= 2:
            df += g - 1
        else:
            single += 1
            # one row: no variance to estimate; count it with the largest its values (0/1, or -1/0/1) allow
            se_s = float(np.sqrt(np.var(ys, ddof=1) / ys.size)) if ys.size > 1 else 1.0
            df += max(ys.size - 1, 1)
        variance += (ys.size / n) ** 2 * se_s**2
    return Spread(mean=float(y.mean()), se=math.sqrt(variance), clusters=total_clusters, df=df,
                  one_context_strata=single, strata=len(set(st)))


def _method(spread: Spread) -> str:
    if spread.one_context_strata == 0:
        return "clustered"
    if spread.one_context_strata == spread.strata:
        return "wilson (one context)" if spread.strata == 1 else "row-level per tier (one context)"
    return f"clustered; row-level in {spread.one_context_strata} tier(s) (one context)"


def clustered_proportion(successes, clusters, strata=None) -> Estimate:
    """A rate's 95% interval that accounts for shared contexts.

    mean +- t(df) * SE, SE from `stratified_se` (strata: tiers; clusters: contexts), widened where needed to
    contain the Wilson interval (so a rate at 0 or 1, whose clustered SE is 0, keeps Wilson's width). A cell of
    one tier and one context gets the Wilson interval itself: it holds for that context only. The method says
    which, and ends in "(one context)" wherever some tier had only one.
    """
    flags = [bool(x) for x in successes]
    n = len(flags)
    if n == 0:
        return Estimate(0, None, None, None, None, 0, "no rows")
    w = wilson(sum(flags), n)
    spread = stratified_se(flags, clusters, strata)
    method = _method(spread)
    if method == "wilson (one context)":
        return Estimate(n, spread.mean, spread.se if math.isfinite(spread.se) else 0.0, w.low, w.high, spread.clusters,
                        method)
    half = t_critical(spread.df) * spread.se
    return Estimate(n, spread.mean, spread.se, max(0.0, min(w.low, spread.mean - half)),
                    min(1.0, max(w.high, spread.mean + half)), spread.clusters, method)


@dataclass(frozen=True)
class PairedDifference:
    """Model A minus model B on the rows both answered, with the power figures a reader can act on."""

    n: int
    difference: float
    se: float
    low: float
    high: float
    clusters: int
    method: str
    only_a: int
    only_b: int
    mdd: float  # smallest true difference found significant with POWER, given n and the discordance

    @property
    def decisive(self) -> bool:
        """False where the 95% interval of the difference contains zero."""
        return not (self.low <= 0.0 <= self.high)


def paired_difference(a, b, clusters, strata=None) -> PairedDifference:
    """Mean of a_i - b_i with a 95% interval from `stratified_se` (clustered by context within tiers; row-level
    in a tier of one context), and the minimum detectable difference (t + z_{0.80}) * SE, SE at least
    sqrt(discordant rows)/n (one discordant row when there is none)."""
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    if xa.shape != xb.shape or xa.size == 0:
        raise ValueError("paired samples of equal, non-zero length are required")
    d = xa - xb
    n = d.size
    only_a = int(np.sum(d > 0))
    only_b = int(np.sum(d < 0))
    spread = stratified_se(d, clusters, strata)
    method = _method(spread).replace("wilson (one context)", "paired rows (one context)")
    se = spread.se if math.isfinite(spread.se) else math.inf
    crit = t_critical(spread.df)
    floor = math.sqrt(max(only_a + only_b, 1)) / n
    mdd = (crit + Z_POWER) * max(se, floor)
    half = crit * se
    return PairedDifference(n=n, difference=spread.mean, se=se, low=max(-1.0, spread.mean - half),
                            high=min(1.0, spread.mean + half), clusters=spread.clusters, method=method,
                            only_a=only_a, only_b=only_b, mdd=mdd)


def blended(estimates: list[Estimate]) -> Estimate:
    """The mean of several scorers' rates on the same rows, its interval the mean of their bounds.

    Averaging the bounds is the interval of the mean when the scorers are perfectly correlated, the widest
    it can be (the standard error of a mean is at most the mean of the standard errors): conservative.
    """
    if not estimates or any(e.mean is None for e in estimates):
        return Estimate(0, None, None, None, None, 0, "no rows")
    k = len(estimates)
    return Estimate(n=min(e.n for e in estimates), mean=sum(e.mean for e in estimates) / k,
                    se=sum(e.se for e in estimates) / k, low=sum(e.low for e in estimates) / k,
                    high=sum(e.high for e in estimates) / k, clusters=min(e.clusters for e in estimates),
                    method="mean of the scorers' intervals (conservative)"
                    + (" (one context)" if any("(one context)" in e.method for e in estimates) else ""))

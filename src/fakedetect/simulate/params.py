"""Fitted and published parameters of the simulator: facts only, each with its source.

Numbers marked *fitted* come from :func:`fakedetect.simulate.fit.fit_all` run on the real
labelled data in ``../shared/data`` (never copied into the project); a test re-runs the
fit and checks these literals. Numbers marked *published* are figures cited in
``../shared/data/README.md``. Modelling choices (rates of confounders, fraud intensities)
are not facts and live in :mod:`fakedetect.simulate.design`.
"""

from __future__ import annotations

from typing import Any

# --------------------------------------------------------------------- posts (fitted)
#: Fitted on InstaFake ``nonautomatedAccountData.json`` (Akyon & Kalfaoglu 2019): the 564
#: genuine accounts with at least 10 posts, posts ordered by upload time.
#:
#: - ``log_interval_mean/sd``: log of each account's median interval between posts (days),
#:   across accounts (median interval 8.7 days, 10-90% about 2-34 days).
#: - ``burst_share``: share of intervals shorter than 6 hours (bursts).
#: - ``pause_share``: share of intervals longer than 5x the account's median (pauses);
#:   ``pause_log_ratio_mean/sd``: log of those intervals over the median.
#: - ``like_sigma_log_mean/sd``: log of each account's robust sigma (1.4826 MAD) of log
#:   likes around a centred 9-post rolling median (median sigma 0.21).
#: - ``like_t_df/scale``: Student t fitted to those residuals in units of the sigma
#:   (heavy tails: viral and flop posts).
#: - ``comment_ratio_log_mean/sd``: log comments per like per account (median 2.5%).
#: - ``er_slope``, ``er_resid_sd``: log(median likes / followers) regressed on
#:   log(followers) (562 accounts with >= 50 followers): slope and residual sd.
#: - ``hashtag_zero_share``, ``hashtag_mean_positive``: hashtags per post.
#: - ``interval_slope``: log median interval regressed on log followers (562 accounts with
#:   >= 50 followers): accounts with more followers post more often (-0.19 per log unit);
#:   ``interval_log_followers``: their mean log followers (about 400), where the fitted
#:   mean interval applies. Extrapolated to the micro tier this gives a median interval of
#:   about 4 days; Purba's real micro accounts (:data:`PURBA_INTERVAL_HOURS`) post every
#:   2-3 days, inside the worlds' cadence range (``design.WORLD_RANGES["cadence"]``).
#: - ``disabled_account_share``: accounts with comments disabled on at least one post;
#:   ``disabled_post_share``: posts with comments disabled.
POSTS_FIT: dict[str, float] = {
    "accounts": 564.0,
    "log_interval_mean": 2.1599,
    "log_interval_sd": 1.1595,
    "burst_share": 0.1288,
    "pause_share": 0.1236,
    "pause_log_ratio_mean": 2.3593,
    "pause_log_ratio_sd": 0.7591,
    "like_sigma_log_mean": -1.5607,
    "like_sigma_log_sd": 0.5169,
    "like_t_df": 2.7578,
    "like_t_scale": 0.8811,
    "comment_ratio_log_mean": -3.7018,
    "comment_ratio_log_sd": 0.6647,
    "er_slope": -0.2296,
    "er_resid_sd": 0.6668,
    "hashtag_zero_share": 0.5613,
    "hashtag_mean_positive": 4.3765,
    "interval_slope": -0.1861,
    "interval_log_followers": 5.9926,
    "disabled_account_share": 0.1206,
    "disabled_post_share": 0.0172,
}

#: Posting cadence by tier, *measured* on Purba et al. (2020) real accounts (class ``r``,
#: duplicates dropped, ``pi`` > 0): median over accounts of the mean interval between
#: posts (hours), with the 10th and 90th percentiles and the number of accounts.
#: Genuine creators of the micro tier post several times a week.
PURBA_INTERVAL_HOURS: dict[str, tuple[float, float, float, int]] = {
    # tier: (median, 10th percentile, 90th percentile, accounts)
    "under_1k": (478.8, 41.7, 1885.1, 8127),
    "nano": (313.4, 34.8, 1262.9, 1547),
    "micro": (55.4, 9.7, 328.1, 74),
    "mid": (71.4, 24.3, 154.9, 10),
}

# ------------------------------------------------------------ follower profiles (fitted)
#: Follower-profile components, fitted per class and source:
#: ``instafake_real`` / ``instafake_fake`` on InstaFake ``realAccountData.json`` (994) and
#: ``fakeAccountData.json`` (200); ``purba_r`` (real), ``purba_a`` (active fake),
#: ``purba_i`` (inactive fake), ``purba_s`` (spammer) on Purba et al. (2020)
#: ``user_fake_authentic_4class.csv`` after dropping exact duplicates.
#: ``zero_posts``: share without posts; ``log1p_mean/cov``: mean and covariance of
#: log1p(followers, following, posts) over accounts with posts; ``zero_bio``: share with
#: an empty biography; ``bio_log_mean/sd``: log-normal of non-empty biography lengths;
#: ``pic``: share with a profile picture; InstaFake only: ``private`` share, username
#: length mean/sd, share of usernames without digits and mean digits when any.
PROFILE_COMPONENTS: dict[str, dict[str, Any]] = {
    "instafake_real": {
        "n": 994, "zero_posts": 0.0423,
        "log1p_mean": [5.8063, 6.0079, 3.4186],
        "log1p_cov": [[0.5912, 0.4163, 0.5354], [0.4163, 0.5405, 0.3992],
                      [0.5354, 0.3992, 1.9032]],
        "zero_bio": 0.3913, "bio_log_mean": 3.3054, "bio_log_sd": 1.0206, "pic": 0.9869,
        "private": 0.7243, "name_len_mean": 11.0704, "name_len_sd": 2.8777,
        "zero_digits": 0.8903, "digits_mean_positive": 2.4312,
    },
    "instafake_fake": {
        "n": 200, "zero_posts": 0.575,
        "log1p_mean": [3.7116, 6.6112, 1.2533],
        "log1p_cov": [[3.1507, 2.448, 0.1202], [2.448, 4.9512, -0.2457],
                      [0.1202, -0.2457, 0.6778]],
        "zero_bio": 0.735, "bio_log_mean": 3.3729, "bio_log_sd": 1.0595, "pic": 0.605,
        "private": 0.325, "name_len_mean": 11.39, "name_len_sd": 3.5327,
        "zero_digits": 0.45, "digits_mean_positive": 2.9727,
    },
    "purba_r": {
        "n": 10441, "zero_posts": 0.0,
        "log1p_mean": [5.8752, 6.3745, 3.4335],
        "log1p_cov": [[1.5125, 1.0476, 1.0173], [1.0476, 1.643, 0.5311],
                      [1.0173, 0.5311, 2.6847]],
        "zero_bio": 0.2635, "bio_log_mean": 4.0775, "bio_log_sd": 0.9822, "pic": 0.9862,
    },
    "purba_a": {
        "n": 12054, "zero_posts": 0.0,
        "log1p_mean": [6.0472, 7.5209, 4.2256],
        "log1p_cov": [[1.1486, 0.5172, 0.7682], [0.5172, 1.3667, 0.1204],
                      [0.7682, 0.1204, 1.9242]],
        "zero_bio": 0.3853, "bio_log_mean": 4.0877, "bio_log_sd": 0.9333, "pic": 0.9899,
    },
    "purba_i": {
        "n": 9467, "zero_posts": 0.4182,
        "log1p_mean": [4.8404, 7.583, 1.3261],
        "log1p_cov": [[1.2048, 0.6868, 0.0955], [0.6868, 2.4805, -0.0001],
                      [0.0955, -0.0001, 0.3285]],
        "zero_bio": 0.7691, "bio_log_mean": 3.563, "bio_log_sd": 1.1366, "pic": 0.7942,
    },
    "purba_s": {
        "n": 10263, "zero_posts": 0.001,
        "log1p_mean": [5.8748, 7.4087, 4.0813],
        "log1p_cov": [[1.6659, 0.8293, 1.3286], [0.8293, 1.679, 0.3901],
                      [1.3286, 0.3901, 3.0138]],
        "zero_bio": 0.3761, "bio_log_mean": 4.2749, "bio_log_sd": 0.8729, "pic": 0.9828,
    },
}

# ------------------------------------------------------- engagement tiers (published)
#: Engagement rate per post, (likes + comments) / followers, as a fraction: the band of
#: published tier figures (``../shared/data/README.md``). Nano 1k-10k: HypeAuditor 2026
#: 1.78%, Mavrck 4-6.8%, Markerly 2016 4%. Micro 10k-50k: HypeAuditor 0.54%, Markerly
#: 2.37% (10k-100k), Mavrck 3.07%. Mid 50k-500k: Mavrck 2.2-2.3% is the only figure; the
#: lower bound is HypeAuditor's > 1M figure 0.33% (engagement falls with size, so a
#: mid-tier median is not below it).
TIER_BANDS: dict[str, tuple[float, float, float, float]] = {
    # tier: (followers from, followers to, lowest published ER, highest published ER)
    "nano": (1_000, 10_000, 0.0178, 0.068),
    "micro": (10_000, 50_000, 0.0054, 0.0307),
    "mid": (50_000, 500_000, 0.0033, 0.023),
}

# ------------------------------------------------------------ fake followers (published)
#: SRF Data 2017, 115 Swiss influencers: median 14-20% fake followers, mean 26-31%, a
#: separate cluster above 50%.
SRF_FAKE_SHARE_MEDIAN = (0.14, 0.20)
SRF_FAKE_SHARE_MEAN = (0.26, 0.31)
SRF_FAKE_SHARE_CLUSTER = 0.50
#: HypeAuditor: share of influencers involved in some fraud, nano and mega tiers.
HYPEAUDITOR_FRAUD_SHARE = (0.42, 0.66)

# ------------------------------------------------------------------ platform (facts)
#: Instagram's launch (6 October 2010): no account is created before it.
INSTAGRAM_LAUNCH = "2010-10-06"
#: Instagram's limit on accounts followed (7,500); the profile data sets top out there.
FOLLOWING_LIMIT = 7_500
#: Caption and biography length limits on Instagram (characters).
CAPTION_LIMIT = 2_200
BIO_LIMIT = 150

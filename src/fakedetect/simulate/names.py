"""Usernames and comment texts: small word lists and the builders that combine them."""

from __future__ import annotations

import numpy as np

from fakedetect.simulate.design import NICHES

_SYLLABLES = ("an", "na", "ma", "ri", "lo", "el", "sa", "ka", "mi", "jo", "le", "ne", "ta",
              "ro", "li", "be", "da", "vi", "to", "ya", "zo", "po", "ke", "ha", "lu", "si",
              "mar", "cel", "tin", "ber", "son", "gar", "lin", "den", "vic", "nor")
_FIRST = ("anna", "maria", "luca", "sofia", "leo", "emma", "noah", "mia", "lea", "tom",
          "nina", "paul", "eva", "max", "lara", "ben", "ella", "jan", "iris", "theo", "zoe",
          "marc", "ines", "oscar", "julia", "felix", "clara", "david", "sara", "adam")
_NICHE_WORDS: dict[str, tuple[str, ...]] = {
    "travel": ("wander", "travels", "journey", "nomad", "roam", "trips"),
    "fashion": ("style", "outfits", "wardrobe", "looks", "chic", "couture"),
    "beauty": ("beauty", "glow", "makeup", "skin", "lashes", "glam"),
    "photography": ("shots", "lens", "frames", "photo", "captures", "light"),
    "fitness": ("fit", "lifts", "gains", "run", "strong", "move"),
    "food": ("eats", "kitchen", "bites", "foodie", "bakes", "table"),
    "lifestyle": ("life", "daily", "home", "living", "vibes", "journal"),
    "parenting": ("mama", "papa", "family", "littles", "kids", "nest"),
    "gaming": ("plays", "gamer", "pixel", "quest", "arcade", "level"),
    "music": ("beats", "sound", "tunes", "vocals", "guitar", "notes"),
}
_NICHE_NOUNS: dict[str, tuple[str, ...]] = {
    "travel": ("view", "beach", "hotel", "sunset", "village", "road trip", "lake", "city"),
    "fashion": ("jacket", "dress", "outfit", "bag", "coat", "shoes", "colour", "fit"),
    "beauty": ("palette", "lipstick", "skin routine", "glow", "eyeliner", "serum", "blush",
               "brows"),
    "photography": ("light", "composition", "edit", "shot", "lens", "colours", "framing",
                    "shadow"),
    "fitness": ("workout", "form", "routine", "progress", "squat", "run", "plan", "meal prep"),
    "food": ("recipe", "cake", "pasta", "sauce", "plate", "bread", "salad", "soup"),
    "lifestyle": ("room", "morning routine", "plant", "desk", "coffee", "weekend", "candle",
                  "book"),
    "parenting": ("tip", "nursery", "story", "routine", "craft", "snack idea", "trip", "book"),
    "gaming": ("setup", "build", "run", "boss fight", "stream", "clip", "keyboard", "map"),
    "music": ("song", "cover", "chorus", "guitar", "mix", "voice", "melody", "set"),
}
_ADJ = ("beautiful", "amazing", "so good", "perfect", "gorgeous", "stunning", "unreal",
        "lovely", "incredible", "so cool")
_SPECIFIC = (
    "The {noun} looks {adj}!",
    "Where is this {noun} from?",
    "I need to try this {noun}",
    "That {noun} is {adj}, thanks for sharing",
    "Saving this {noun} for later",
    "How did you get the {noun} like that?",
    "Your {noun} posts are always {adj}",
    "Love the {noun}, it looks {adj}",
)
#: Short generic comments (also used by comment sellers).
GENERIC = ("nice!", "love it", "wow", "amazing", "so cool", "great post", "beautiful",
           "nice pic", "awesome", "love this!", "cute", "gorgeous", "perfect", "stunning",
           "goals", "yes!!", "omg", "so good", "great shot", "nice one", "wow!!", "love",
           "cool", "great", "super", "nice", "so nice", "loving this", "fab", "brilliant")
EMOJI = ("🔥", "😍", "❤️", "👏👏", "🙌", "💯", "😍😍😍", "🔥🔥", "👌", "💕", "✨", "😮",
         "❤️❤️", "🙌🔥", "😻", "💥")
#: Engagement-pod style: enthusiastic, a little longer, still generic.
POD = ("Love this! 🔥", "Great content 👏", "Amazing shot!!", "Keep it up 🙌",
       "So inspiring ✨", "Obsessed with this 😍", "This is everything 💯", "Killing it! 🔥",
       "Such a vibe ✨", "Absolutely love this 💕", "Goals!! 🙌", "Stunning as always 😍")


def comment_vocabulary() -> tuple[list[str], dict[str, tuple[int, int]]]:
    """The fixed comment vocabulary and the index range of each segment.

    Returns
    -------
    texts : list of str
        Every comment text the simulator can write.
    segments : dict
        ``generic``, ``emoji``, ``pod``, ``tag`` and ``specific:<niche>`` to a
        (start, stop) range of ``texts``.
    """
    texts: list[str] = []
    segments: dict[str, tuple[int, int]] = {}

    seen: set[str] = set()

    def add(name: str, items: list[str]) -> None:
        fresh = [t for t in dict.fromkeys(items) if t not in seen]
        seen.update(fresh)
        segments[name] = (len(texts), len(texts) + len(fresh))
        texts.extend(fresh)

    add("generic", list(GENERIC))
    add("emoji", list(EMOJI))
    add("pod", list(POD))
    tags = [f"@{a}_{b} {t}" for a in _FIRST for b in ("x", "k", "m")
            for t in ("me!", "look 😍", "we need this", "🙏")]
    add("tag", tags)
    for niche in NICHES:
        add(f"specific:{niche}", [tpl.format(noun=n, adj=a) for tpl in _SPECIFIC
                                  for n in _NICHE_NOUNS[niche] for a in _ADJ])
    return texts, segments


_DIGIT_CHARS = np.array(list("0123456789"))


def _digit_strings(rng: np.random.Generator, counts: np.ndarray) -> list[str]:
    mat = _DIGIT_CHARS[rng.integers(0, 10, size=(len(counts), max(int(counts.max(initial=0)), 1)))]
    return ["".join(mat[k, :c]) for k, c in enumerate(counts.tolist())]


def influencer_usernames(rng: np.random.Generator, niche_codes: np.ndarray,
                         digits: float | np.ndarray = 0.2) -> list[str]:
    """Handles for influencers: a first name or syllables plus a niche word.

    Parameters
    ----------
    rng : numpy.random.Generator
    niche_codes : numpy.ndarray
        Index into :data:`~fakedetect.simulate.design.NICHES` per account.
    digits : float or numpy.ndarray
        Chance that a handle ends in two digits (one, or one per account).

    Returns
    -------
    list of str
    """
    n = len(niche_codes)
    first = rng.integers(0, len(_FIRST), n)
    word = rng.integers(0, 6, n)
    style = rng.integers(0, 4, n)
    tails = _digit_strings(rng, np.where(rng.random(n) < digits, 2, 0))
    out = []
    for k in range(n):
        f = _FIRST[first[k]]
        w = _NICHE_WORDS[NICHES[niche_codes[k]]][word[k]]
        s = ("{f}{w}", "{f}.{w}", "{w}with{f}", "{f}_{w}")[style[k]].format(f=f, w=w)
        out.append(s + tails[k])
    return out


def follower_usernames(rng: np.random.Generator, lengths: np.ndarray,
                       digit_counts: np.ndarray) -> list[str]:
    """Usernames with the given total lengths and digit counts.

    Parameters
    ----------
    rng : numpy.random.Generator
    lengths : numpy.ndarray
        Target length of each name (at least 3).
    digit_counts : numpy.ndarray
        Digits each name ends with (at most ``length - 2``).

    Returns
    -------
    list of str
    """
    n = len(lengths)
    syll = rng.integers(0, len(_SYLLABLES), size=(n, 12))
    sep = rng.random(n) < 0.25
    first = rng.random(n) < 0.4
    fname = rng.integers(0, len(_FIRST), n)
    tails = _digit_strings(rng, np.asarray(digit_counts, dtype=np.int64))
    out = []
    for k in range(n):
        d = int(digit_counts[k])
        letters = max(int(lengths[k]) - d, 2)
        base = _FIRST[fname[k]] + ("_" if sep[k] else "") if first[k] else ""
        j = 0
        while len(base) < letters:
            base += _SYLLABLES[syll[k, j % 12]]
            j += 1
        out.append(base[:letters] + tails[k])
    return out

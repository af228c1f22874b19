// Stemforge — the analysis meters behind the engine's LoudnessProbe
// interface (engine/master/loudness_probe.h), for the master step's closed
// loudness loop and its checks of delivered files.
#pragma once

#include <memory>

#include "engine/master/loudness_probe.h"

namespace sf::analysis {

// The most channels a probe measures: BS.1770-4 defines weights for 1..8.
inline constexpr int kLoudnessProbeMaxChannels = 8;

// A probe backed by LoudnessMeter (BS.1770-4 / Tech 3341 / 3342) and, when
// reset() asks for it, TruePeakMeter (4x, BS.1770-4 Annex 2).
// Preconditions (the interface's methods return nothing, so a violation is
// a programmer error, not an Error): reset() with 1..8 channels at
// 8000..768000 Hz (the session validator keeps rates within 8000..384000 and
// audio to 1..2 channels); add() after reset(), with a block of at least
// that many channels and `frames` in [0, block.frames()]. A violation prints
// one line to stderr and aborts, in every build type (never a dereference
// of an empty meter, as an assert() compiled out under NDEBUG would allow).
std::unique_ptr<LoudnessProbe> make_loudness_probe();

}  // namespace sf::analysis

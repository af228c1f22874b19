// Stemforge — the analysis meters behind the engine's LoudnessProbe
// interface (engine/master/loudness_probe.h), for the master step's closed
// loudness loop and its checks of delivered files.
#pragma once

#include <memory>

#include "engine/master/loudness_probe.h"

namespace sf::analysis {

// A probe backed by LoudnessMeter (BS.1770-4 / Tech 3341 / 3342) and, when
// reset() asks for it, TruePeakMeter (4x, BS.1770-4 Annex 2).
std::unique_ptr<LoudnessProbe> make_loudness_probe();

}  // namespace sf::analysis

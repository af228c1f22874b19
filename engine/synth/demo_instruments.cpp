#include "engine/synth/demo_instruments.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace sf::synth {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTempoBpm = 120.0;
constexpr double kBeatS = 60.0 / kTempoBpm;
constexpr double kBarS = 4.0 * kBeatS;

double midi_hz(double note) { return 440.0 * std::pow(2.0, (note - 69.0) / 12.0); }

// Am, F, C, G: root (MIDI) and triad intervals.
struct Chord {
    int root;
    std::array<int, 3> tones;
};
constexpr std::array<Chord, 4> kProgression{{{57, {0, 3, 7}}, {53, {0, 4, 7}}, {48, {0, 4, 7}}, {55, {0, 4, 7}}}};
const Chord& chord_at(double t) { return kProgression[static_cast<size_t>(std::floor(t / kBarS)) % 4]; }

// One-pole low-pass, for simple tone shaping.
struct OnePole {
    double a = 0, z = 0;
    void set(double hz, int rate) { a = std::exp(-2.0 * kPi * hz / rate); }
    double operator()(double x) { return z = x + a * (z - x); }
};

// A two-pole resonator (formants, body resonances).
struct Resonator {
    double b0 = 0, a1 = 0, a2 = 0, y1 = 0, y2 = 0;
    void set(double hz, double bw_hz, int rate) {
        const double r = std::exp(-kPi * bw_hz / rate);
        a1 = 2.0 * r * std::cos(2.0 * kPi * hz / rate);
        a2 = -r * r;
        b0 = 1.0 - r;
    }
    double operator()(double x) {
        const double y = b0 * x + a1 * y1 + a2 * y2;
        y2 = y1;
        y1 = y;
        return y;
    }
};

// Sawtooth with polyBLEP corrections at the wrap: cheap and nearly alias-free.
double saw(double phase, double hz, int rate) {
    const double dt = hz / rate;
    double blep = 0.0;
    if (phase < dt) {
        const double t = phase / dt;
        blep = t + t - t * t - 1.0;
    } else if (phase > 1.0 - dt) {
        const double t = (phase - 1.0) / dt;
        blep = t * t + t + t + 1.0;
    }
    return 2.0 * phase - 1.0 - blep;
}

void kick(Track& t, double dur) {
    for (double start = 0; start < dur; start += kBeatS) {
        const int beat = static_cast<int>(std::lround(start / kBeatS)) % 8;
        if (beat != 0 && beat != 2 && beat != 4 && beat != 6 && beat != 7) continue;
        const double vel = beat == 7 ? 0.6 : 1.0;
        const size_t s0 = static_cast<size_t>(start * t.rate);
        double phase = 0.0;
        for (size_t i = 0; i < static_cast<size_t>(0.45 * t.rate); ++i) {
            const double tt = static_cast<double>(i) / t.rate;
            const double hz = 48.0 + 110.0 * std::exp(-tt * 28.0);
            phase += hz / t.rate;
            const double env = std::exp(-tt * 7.0) * std::min(1.0, tt * 2000.0);
            t.add(0, s0 + i, vel * env * std::sin(2.0 * kPi * phase) + vel * 0.3 * std::exp(-tt * 400.0));
        }
    }
}

void snare(Track& t, double dur, Random& rng) {
    for (double start = kBeatS; start < dur; start += 2 * kBeatS) {
        const size_t s0 = static_cast<size_t>(start * t.rate);
        OnePole hp;
        hp.set(900.0, t.rate);
        for (size_t i = 0; i < static_cast<size_t>(0.3 * t.rate); ++i) {
            const double tt = static_cast<double>(i) / t.rate;
            const double n = rng.bipolar();
            const double noise = n - hp(n);  // high-passed
            t.add(0, s0 + i, std::exp(-tt * 18.0) * 0.7 * noise + std::exp(-tt * 30.0) * 0.5 * std::sin(2.0 * kPi * 190.0 * tt));
        }
    }
}

void hats(Track& t, double dur, Random& rng) {
    for (double start = 0; start < dur; start += kBeatS / 2) {
        const bool open = static_cast<int>(std::lround(start / (kBeatS / 2))) % 8 == 7;
        const double vel = (static_cast<int>(std::lround(start / (kBeatS / 2))) % 2 ? 0.55 : 1.0);
        const size_t s0 = static_cast<size_t>(start * t.rate);
        double prev = 0.0;
        for (size_t i = 0; i < static_cast<size_t>((open ? 0.35 : 0.08) * t.rate); ++i) {
            const double tt = static_cast<double>(i) / t.rate;
            const double n = rng.bipolar();
            const double hp = n - prev;  // first difference: bright
            prev = n;
            t.add(0, s0 + i, vel * std::exp(-tt * (open ? 9.0 : 60.0)) * hp);
        }
    }
}

void shaker(Track& t, double dur, Random& rng) {
    for (double start = 8 * kBarS; start < dur; start += kBeatS / 4) {
        const size_t s0 = static_cast<size_t>(start * t.rate);
        const double vel = 0.4 + 0.3 * rng.uniform();
        Resonator r;
        r.set(6500.0, 3000.0, t.rate);
        for (size_t i = 0; i < static_cast<size_t>(0.06 * t.rate); ++i) {
            const double tt = static_cast<double>(i) / t.rate;
            const double env = std::min(1.0, tt * 200.0) * std::exp(-tt * 70.0);
            t.add(0, s0 + i, vel * env * r(rng.bipolar()));
        }
    }
}

void crash(Track& t, double dur, Random& rng) {
    for (double start = 0; start < dur; start += 8 * kBarS) {
        const size_t s0 = static_cast<size_t>(start * t.rate);
        double prev[2] = {0, 0};
        for (size_t i = 0; i < static_cast<size_t>(3.0 * t.rate); ++i) {
            const double tt = static_cast<double>(i) / t.rate;
            for (int c = 0; c < 2; ++c) {
                const double n = rng.bipolar();
                const double hp = n - prev[c];
                prev[c] = n;
                t.add(c, s0 + i, std::exp(-tt * 1.6) * hp);
            }
        }
    }
}

void bass(Track& t, double dur) {
    OnePole lp;
    lp.set(500.0, t.rate);
    double phase = 0.0;
    for (size_t i = 0; i < t.frames(); ++i) {
        const double tt = static_cast<double>(i) / t.rate;
        if (tt >= dur) break;
        const double eighth = std::fmod(tt, kBeatS / 2);
        const int note = chord_at(tt).root - 12 + (static_cast<int>(tt / (kBeatS / 2)) % 8 == 6 ? 12 : 0);
        const double hz = midi_hz(note);
        phase += hz / t.rate;
        const double env = std::min(1.0, eighth * 300.0) * (0.55 + 0.45 * std::exp(-eighth * 10.0));
        t.add(0, i, env * lp(saw(std::fmod(phase, 1.0), hz, t.rate)));
    }
}

void keys(Track& t, double dur) {
    // Electric-piano-like: chords on beats 1 and 3-and, decaying partials.
    for (double start = 0; start < dur; start += kBarS) {
        for (double offs : {0.0, 2.5 * kBeatS}) {
            const Chord& ch = chord_at(start);
            const size_t s0 = static_cast<size_t>((start + offs) * t.rate);
            for (size_t v = 0; v < ch.tones.size(); ++v) {
                const double hz = midi_hz(ch.root + 12 + ch.tones[v]);
                const double pan = 0.3 + 0.2 * static_cast<double>(v);  // spread the voices
                for (size_t i = 0; i < static_cast<size_t>(1.2 * t.rate); ++i) {
                    const double tt = static_cast<double>(i) / t.rate;
                    const double s = std::exp(-tt * 3.0) * std::sin(2.0 * kPi * hz * tt) +
                                     0.3 * std::exp(-tt * 9.0) * std::sin(2.0 * kPi * 2.0 * hz * tt) +
                                     0.1 * std::exp(-tt * 20.0) * std::sin(2.0 * kPi * 7.0 * hz * tt);
                    const double a = std::min(1.0, tt * 500.0);
                    t.add(0, s0 + i, a * s * (1.0 - pan));
                    t.add(1, s0 + i, a * s * pan);
                }
            }
        }
    }
}

void pad(Track& t, double dur) {
    std::array<double, 6> phase{};
    OnePole lp[2];
    lp[0].set(1400.0, t.rate);
    lp[1].set(1400.0, t.rate);
    for (size_t i = 0; i < t.frames(); ++i) {
        const double tt = static_cast<double>(i) / t.rate;
        if (tt >= dur) break;
        const Chord& ch = chord_at(tt);
        const double in_bar = std::fmod(tt, kBarS);
        const double env = std::min(1.0, in_bar / 0.6) * std::min(1.0, (kBarS - in_bar) / 0.1);
        double l = 0, r = 0;
        for (size_t v = 0; v < 6; ++v) {
            const double detune = (v % 2 ? 1.004 : 0.996);
            const double hz = midi_hz(ch.root + ch.tones[v % 3]) * detune;
            phase[v] = std::fmod(phase[v] + hz / t.rate, 1.0);
            const double s = saw(phase[v], hz, t.rate);
            (v % 2 ? r : l) += s;
        }
        t.add(0, i, env * lp[0](l));
        t.add(1, i, env * lp[1](r));
    }
}

void lead(Track& t, double dur) {
    static constexpr std::array<int, 16> kMelody{76, 74, 72, 69, 72, 74, 76, 79, 77, 76, 74, 72, 74, 72, 71, 67};
    double phase = 0.0;
    OnePole lp;
    lp.set(3000.0, t.rate);
    for (size_t i = 0; i < t.frames(); ++i) {
        const double tt = static_cast<double>(i) / t.rate;
        if (tt >= dur || tt < 16 * kBarS) continue;  // enters at bar 17
        const size_t step = static_cast<size_t>(tt / kBeatS) % kMelody.size();
        const double in_note = std::fmod(tt, kBeatS);
        const double hz = midi_hz(kMelody[step]) * (1.0 + 0.004 * std::sin(2.0 * kPi * 5.5 * tt));
        phase = std::fmod(phase + hz / t.rate, 1.0);
        const double square = saw(phase, hz, t.rate) - saw(std::fmod(phase + 0.5, 1.0), hz, t.rate);
        const double env = std::min(1.0, in_note * 100.0) * std::min(1.0, (kBeatS - in_note) * 40.0);
        t.add(0, i, env * lp(square));
    }
}

void voice(Track& t, double dur) {
    // Glottal pulses through three formant resonators; the vowel moves a-e-i-o-u.
    static constexpr std::array<std::array<double, 3>, 5> kFormants{
        {{730, 1090, 2440}, {530, 1840, 2480}, {270, 2290, 3010}, {570, 840, 2410}, {300, 870, 2240}}};
    static constexpr std::array<int, 8> kNotes{69, 72, 71, 67, 69, 72, 74, 76};
    Resonator f[3];
    double phase = 0.0;
    for (size_t i = 0; i < t.frames(); ++i) {
        const double tt = static_cast<double>(i) / t.rate;
        if (tt >= dur || tt < 8 * kBarS) continue;
        const double phrase = std::fmod(tt, 2 * kBarS);
        if (phrase > 1.6 * kBarS) continue;  // breathe
        const size_t note = static_cast<size_t>(tt / (2 * kBeatS)) % kNotes.size();
        const double vib = 1.0 + 0.006 * std::sin(2.0 * kPi * 5.0 * tt) * std::min(1.0, std::fmod(tt, 2 * kBeatS));
        const double hz = midi_hz(kNotes[note] - 12) * vib;
        const double prev = phase;
        phase = std::fmod(phase + hz / t.rate, 1.0);
        const double pulse = phase < prev ? 1.0 : 0.0;  // one impulse per period
        const double vowel = std::fmod(tt / kBeatS, 5.0);
        const size_t v0 = static_cast<size_t>(vowel), v1 = (v0 + 1) % 5;
        const double mix = vowel - static_cast<double>(v0);
        double s = 0.0;
        for (int k = 0; k < 3; ++k) {
            if (i % 64 == 0) {
                const double fhz = kFormants[v0][static_cast<size_t>(k)] * (1 - mix) + kFormants[v1][static_cast<size_t>(k)] * mix;
                f[k].set(fhz, 60.0 + 40.0 * k, t.rate);
            }
            s += f[k](pulse) * (k == 0 ? 1.0 : 0.5);
        }
        const double env = std::min(1.0, phrase * 8.0) * std::min(1.0, (1.6 * kBarS - phrase) * 8.0);
        t.add(0, i, env * s);
    }
}

void pluck(Track& t, double dur, Random& rng) {
    // Karplus–Strong arpeggio in sixteenths.
    for (double start = 4 * kBarS; start < dur; start += kBeatS / 2) {
        const Chord& ch = chord_at(start);
        const int step = static_cast<int>(std::lround(start / (kBeatS / 2))) % 4;
        const double hz = midi_hz(ch.root + 12 + (step == 3 ? 12 : ch.tones[static_cast<size_t>(step)]));
        const size_t period = static_cast<size_t>(t.rate / hz);
        std::vector<double> line(period);
        for (double& v : line) v = rng.bipolar();
        const size_t s0 = static_cast<size_t>(start * t.rate);
        for (size_t i = 0; i < static_cast<size_t>(0.9 * t.rate); ++i) {
            const size_t k = i % period;
            const double out = line[k];
            line[k] = 0.996 * 0.5 * (line[k] + line[(k + 1) % period]);
            t.add(0, s0 + i, out * 0.5);
        }
    }
}

void strings(Track& t, double dur) {
    for (size_t i = 0; i < t.frames(); ++i) {
        const double tt = static_cast<double>(i) / t.rate;
        if (tt >= dur || tt < 16 * kBarS) continue;
        const Chord& ch = chord_at(tt);
        const double in_bar = std::fmod(tt, kBarS);
        const double env = std::min(1.0, in_bar / 1.2) * std::min(1.0, (kBarS - in_bar) / 0.3);
        for (int c = 0; c < 2; ++c) {
            double s = 0.0;
            for (size_t v = 0; v < 3; ++v) {
                const double hz = midi_hz(ch.root + 12 + ch.tones[v]) * (c ? 1.002 : 0.998);
                const double vib = 0.003 * std::sin(2.0 * kPi * (4.8 + 0.3 * c) * tt);
                s += std::sin(2.0 * kPi * hz * tt * (1.0 + vib)) + 0.2 * std::sin(4.0 * kPi * hz * tt);
            }
            t.add(c, i, env * s);
        }
    }
}

void riser(Track& t, double dur, Random& rng) {
    // Filtered noise sweeping up over the two bars before each 8-bar section.
    Resonator r;
    for (double end = 8 * kBarS; end <= dur; end += 8 * kBarS) {
        const double start = end - 2 * kBarS;
        for (size_t i = static_cast<size_t>(start * t.rate); i < static_cast<size_t>(end * t.rate); ++i) {
            const double x = (static_cast<double>(i) / t.rate - start) / (2 * kBarS);
            if (i % 32 == 0) r.set(300.0 * std::pow(30.0, x), 400.0 + 2000.0 * x, t.rate);
            t.add(0, i, x * x * r(rng.bipolar()));
        }
    }
}

// A stereo hall: sparse early reflections, then decorrelated noise with a
// 2.2 s RT60 that darkens as it decays. Draws on its own generator.
void hall(Track& ir, Random& irng) {
    const int sr = ir.rate;
    OnePole lp[2];
    for (int c = 0; c < 2; ++c) {
        for (int k = 0; k < 12; ++k) {
            const double t = 0.004 + 0.006 * k + 0.003 * irng.uniform();
            ir.add(c, static_cast<size_t>(t * sr), (irng.bipolar() > 0 ? 1 : -1) * 0.5 * std::exp(-k * 0.15));
        }
        for (size_t i = static_cast<size_t>(0.02 * sr); i < ir.frames(); ++i) {
            const double t = static_cast<double>(i) / sr;
            lp[c].set(9000.0 * std::exp(-t * 1.2) + 800.0, sr);
            const double decay = std::pow(10.0, -3.0 * t / 2.2);  // -60 dB at 2.2 s
            ir.add(c, i, 0.25 * decay * lp[c](irng.bipolar()));
        }
    }
}

}  // namespace

std::span<const Instrument> instruments() {
    static constexpr Instrument kInstruments[] = {
        {"kick", 1}, {"snare", 1}, {"hats", 1},   {"shaker", 1}, {"crash", 2},   {"bass", 1},  {"keys", 2},
        {"pad", 2},  {"lead", 1},  {"voice", 1},  {"pluck", 1},  {"strings", 2}, {"riser", 1}, {"hall", 2},
    };
    return kInstruments;
}

bool play(std::string_view name, Track& t, double dur, Random& rng) {
    const auto all = instruments();
    const auto it = std::find_if(all.begin(), all.end(), [&](const Instrument& i) { return i.name == name; });
    if (it == all.end() || it->channels != t.channels) return false;
    if (name == "kick") kick(t, dur);
    else if (name == "snare") snare(t, dur, rng);
    else if (name == "hats") hats(t, dur, rng);
    else if (name == "shaker") shaker(t, dur, rng);
    else if (name == "crash") crash(t, dur, rng);
    else if (name == "bass") bass(t, dur);
    else if (name == "keys") keys(t, dur);
    else if (name == "pad") pad(t, dur);
    else if (name == "lead") lead(t, dur);
    else if (name == "voice") voice(t, dur);
    else if (name == "pluck") pluck(t, dur, rng);
    else if (name == "strings") strings(t, dur);
    else if (name == "riser") riser(t, dur, rng);
    else if (name == "hall") hall(t, rng);
    return true;
}

}  // namespace sf::synth

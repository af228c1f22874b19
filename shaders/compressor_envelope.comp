#version 450
// The compressors of a stage (every compressed stem, or the compressed
// buses of one level), in place on the stem or mix buffer: the GPU twin of
// sf::Compressor (engine/dsp/compressor.h). The envelope recursion is
// sequential in time (see main() for how the work is split); state (p, s)
// persists in a device buffer across chunks. Arithmetic in double as on the
// CPU; GLSL has no double log/exp, so: ln(p) = e·ln 2 + ln(m) with m = frexp(p) in [0.5, 1), ln(m) in float
// (absolute error ~3e-8 Np, far below float rounding of the signal), and
// exp(y) = 2^k · exp(y − k·ln 2) with the reduced argument (|·| < ln 2) in
// float. The signal is multiplied in float, as on the CPU.
#extension GL_GOOGLE_include_directive : require
#include "gain_common.glsl"

layout(local_size_x = 64) in;

layout(push_constant) uniform Push {
    uint first;   // first frame of this dispatch within the chunk
    uint frames;  // frames of this dispatch (the host keeps it <= 4096, see gpu/stages/compressor.h)
    uint stride;  // floats between a stem's channels
    uint count;   // compressors
} pc;

layout(std430, set = 0, binding = 0) buffer Stems { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Params { StemParams p[]; };
// Per compressor, 8 doubles: threshold_db, ratio, knee_db, makeup_db,
// attack_coef, release_coef, rms_coef, rms (1 or 0).
layout(std430, set = 0, binding = 2) readonly buffer Coefs { double k[]; };
// Per compressor, 4 uints: its StemParams index; the float offset of its
// detector's channel 0 in the detector buffer (0xFFFFFFFF: the detector is
// the compressor's own signal); the detector's channels; unused.
layout(std430, set = 0, binding = 3) readonly buffer Info { uint info[]; };
layout(std430, set = 0, binding = 4) buffer State { double st[]; };  // (p, s) per compressor
// Sidechain detector rows (gpu/stages/sidechain.h), `stride` floats apart.
layout(std430, set = 0, binding = 5) readonly buffer Detector { float det[]; };

const double kLn2 = 0.6931471805599453094LF;
const double kDbPerNeper = 8.6858896380650365530LF;   // 20 / ln 10
const double kNeperPerDb = 0.11512925464970228420LF;  // ln 10 / 20

double ln_d(double v) {
    int e;
    double m = frexp(v, e);
    return double(e) * kLn2 + double(log(float(m)));
}

float exp_f(double y) {
    double kk = floor(y / kLn2 + 0.5LF);
    double rem = y - kk * kLn2;
    return ldexp(exp(float(rem)), int(kk));
}

double static_gain_db(uint c, double level_db) {
    double T = k[c * 8u], R = k[c * 8u + 1u], W = k[c * 8u + 2u];
    double over = level_db - T;
    double outv;
    if (2.0LF * over < -W) {
        outv = level_db;
    } else if (W > 0.0LF && 2.0LF * abs(over) <= W) {
        double t = over + W / 2.0LF;
        outv = level_db + (1.0LF / R - 1.0LF) * t * t / (2.0LF * W);
    } else {
        outv = T + over / R;
    }
    return outv - level_db;
}

// One workgroup per compressor, over the dispatch's frames in tiles of kTile:
// the tile is loaded into shared memory by every lane (coalesced), the
// level and gain computer (log, static curve) and the gain (exp, multiply)
// run on all lanes in parallel, and only the two recursions — the RMS power
// and the attack/release smoother — run on lane 0, over shared memory. Every
// frame sees the same double operations in the same order as a single
// sequential loop (the CPU's), so the split changes no bit of the result; it
// keeps the sequential part to a few flops per frame instead of a chain of
// global-memory loads and transcendentals.
const uint kTile = 512u;         // 12 KiB of shared memory, under Vulkan's guaranteed 16 KiB
shared float xs0[kTile], xs1[kTile];  // the signal
shared float ds0[kTile], ds1[kTile];  // the detector's signal (a sidechain's), when it is not the signal
shared double tile_db[kTile];    // RMS power, then the wanted gain reduction, then the smoothed one

void main() {
    uint c = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    if (c >= pc.count) return;
    StemParams sp = p[info[4u * c]];
    uint det_at = info[4u * c + 1u];
    bool keyed = det_at != 0xFFFFFFFFu;
    bool det_stereo = keyed ? info[4u * c + 2u] > 1u : sp.channels > 1u;
    if (sp.enabled == 0u) return;  // the whole workgroup: not playing, the CPU does not run it either (its state holds)
    double makeup = k[c * 8u + 3u], att = k[c * 8u + 4u], rel = k[c * 8u + 5u], rms_coef = k[c * 8u + 6u];
    bool rms = k[c * 8u + 7u] != 0.0LF;
    bool stereo = sp.channels > 1u;
    double inv_c = 1.0LF / double(keyed ? info[4u * c + 2u] : sp.channels);
    uint o0 = sp.data_offset + pc.first;
    uint o1 = stereo ? o0 + pc.stride : o0;
    double pw = st[2u * c], s = st[2u * c + 1u];  // used by lane 0 only
    for (uint t0 = 0u; t0 < pc.frames; t0 += kTile) {
        uint n = min(kTile, pc.frames - t0);
        for (uint i = lane; i < n; i += gl_WorkGroupSize.x) {
            xs0[i] = x[o0 + t0 + i];
            xs1[i] = x[o1 + t0 + i];
            ds0[i] = keyed ? det[det_at + pc.first + t0 + i] : xs0[i];
            ds1[i] = keyed ? det[det_at + (det_stereo ? pc.stride : 0u) + pc.first + t0 + i] : xs1[i];
        }
        barrier();
        if (rms) {
            if (lane == 0u)
                for (uint i = 0u; i < n; ++i) {
                    double v0 = double(ds0[i]), v1 = double(ds1[i]);
                    double sum = det_stereo ? v0 * v0 + v1 * v1 : v0 * v0;
                    pw = rms_coef * pw + (1.0LF - rms_coef) * sum * inv_c;
                    tile_db[i] = pw;
                }
            barrier();
            for (uint i = lane; i < n; i += gl_WorkGroupSize.x)
                tile_db[i] = -static_gain_db(c, 0.5LF * kDbPerNeper * ln_d(max(tile_db[i], 1e-20LF)));
        } else {
            for (uint i = lane; i < n; i += gl_WorkGroupSize.x) {
                double d = max(abs(double(ds0[i])), abs(double(ds1[i])));
                tile_db[i] = -static_gain_db(c, kDbPerNeper * ln_d(max(d, 1e-10LF)));
            }
        }
        barrier();
        if (lane == 0u)
            for (uint i = 0u; i < n; ++i) {
                double r = tile_db[i];
                double a = r > s ? att : rel;
                s = a * s + (1.0LF - a) * r;
                tile_db[i] = s;
            }
        barrier();
        for (uint i = lane; i < n; i += gl_WorkGroupSize.x) {
            float g = exp_f((makeup - tile_db[i]) * kNeperPerDb);
            x[o0 + t0 + i] = xs0[i] * g;
            if (stereo) x[o1 + t0 + i] = xs1[i] * g;
        }
        barrier();  // the next tile reuses the shared arrays
    }
    if (lane == 0u) {
        st[2u * c] = pw;
        st[2u * c + 1u] = s;
    }
}

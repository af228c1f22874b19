#include "app/gui/jobs.h"

#include <algorithm>

#include "engine/core/clock.h"

namespace sf::gui {

const char* to_string(JobState state) {
    switch (state) {
        case JobState::Running: return "running";
        case JobState::Succeeded: return "done";
        case JobState::Failed: return "failed";
        case JobState::Cancelled: return "cancelled";
    }
    return "?";
}

void JobControl::set_progress(double fraction) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    double seen = progress_.load(std::memory_order_relaxed);
    while (fraction > seen && !progress_.compare_exchange_weak(seen, fraction, std::memory_order_relaxed)) {
    }
}

void JobControl::set_phase(std::string phase) {
    std::lock_guard lock(mutex_);
    phase_ = std::move(phase);
}

void JobControl::log(std::string line) {
    std::lock_guard lock(mutex_);
    log_.push_back(std::move(line));
}

Job::Job(std::string name, Body body) : name_(std::move(name)), start_(Clock::now()) {
    thread_ = std::thread([this, body = std::move(body)] {
        Result<void> r = [&]() -> Result<void> {
            try {
                return body(control_);
            } catch (const std::exception& e) {  // a worker must never take the window down
                return fail(ErrorCode::Internal, std::string("internal error: ") + e.what());
            }
        }();
        if (!r) error_ = r.error();
        finished_after_s_.store(seconds_since(start_), std::memory_order_relaxed);
        if (r) control_.set_progress(1.0);
        state_.store(r ? JobState::Succeeded : r.error().code == ErrorCode::Cancelled ? JobState::Cancelled : JobState::Failed,
                     std::memory_order_release);
    });
}

Job::~Job() {
    cancel();
    if (thread_.joinable()) thread_.join();
}

std::string Job::phase() const {
    std::lock_guard lock(control_.mutex_);
    return control_.phase_;
}

std::vector<std::string> Job::log() const {
    std::lock_guard lock(control_.mutex_);
    return control_.log_;
}

const Error& Job::error() const { return error_; }

double Job::elapsed_s() const {
    const double done = finished_after_s_.load(std::memory_order_relaxed);
    return done >= 0.0 ? done : seconds_since(start_);
}

void Job::wait() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace sf::gui

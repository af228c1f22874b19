// Stemforge workstation — background work with progress and cancel.
//
// Every long thing the workstation does (load a session, render, analyze a
// file, compare two files) runs as a Job on its own thread; the UI polls its
// state once per frame and never waits for it. The pattern of Tracktion's
// render job: a progress atomic the worker writes, a cancel atomic the UI
// writes and the worker reads between blocks (the engine's `cancel` flags
// take its address), and a log the UI copies under a short lock.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/error.h"

namespace sf::gui {

enum class JobState { Running, Succeeded, Failed, Cancelled };
const char* to_string(JobState state);

// What a job's body sees: report progress, log lines, read the cancel flag.
class JobControl {
public:
    void set_progress(double fraction);       // 0..1, clamped; monotonic for the UI's sake
    void set_phase(std::string phase);        // what it does now ("decode", "master: loudness loop")
    void log(std::string line);
    const std::atomic<bool>* cancel_flag() const { return &cancel_; }
    bool cancelled() const { return cancel_.load(std::memory_order_relaxed); }
    // What the job produced, for whoever started it (Job::output<T>()).
    template <class T>
    void set_output(std::shared_ptr<const T> output) { output_ = std::move(output); }

private:
    friend class Job;
    std::shared_ptr<const void> output_;
    std::atomic<double> progress_{0.0};
    std::atomic<bool> cancel_{false};
    mutable std::mutex mutex_;
    std::string phase_;
    std::vector<std::string> log_;
};

// One piece of background work. Created running; the body's Result decides
// the end state (Cancelled when it returns ErrorCode::Cancelled).
class Job {
public:
    using Body = std::function<Result<void>(JobControl&)>;
    Job(std::string name, Body body);
    ~Job();  // requests cancel and joins: a closing window never leaves a worker behind
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    const std::string& name() const { return name_; }
    JobState state() const { return state_.load(std::memory_order_acquire); }
    bool running() const { return state() == JobState::Running; }
    double progress() const { return control_.progress_.load(std::memory_order_relaxed); }
    std::string phase() const;
    std::vector<std::string> log() const;   // a copy
    const Error& error() const;             // valid once Failed / Cancelled
    double elapsed_s() const;               // so far, or in all once finished
    void cancel() { control_.cancel_.store(true, std::memory_order_relaxed); }
    // The body's output once Succeeded (null before, or when it set none).
    // T must be the type the body passed to set_output.
    template <class T>
    std::shared_ptr<const T> output() const {
        return state() == JobState::Succeeded ? std::static_pointer_cast<const T>(control_.output_) : nullptr;
    }
    // Blocks until the job ends (tests, --screenshot, --exec; never the UI thread).
    void wait();

private:
    std::string name_;
    JobControl control_;
    std::atomic<JobState> state_{JobState::Running};
    Error error_;
    std::chrono::steady_clock::time_point start_;
    std::atomic<double> finished_after_s_{-1.0};
    std::thread thread_;
};

}  // namespace sf::gui

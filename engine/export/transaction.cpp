#include "engine/export/transaction.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <unistd.h>

#include "engine/core/fault.h"

namespace sf {

namespace fs = std::filesystem;

namespace {

void remove_quietly(const fs::path& p) {
    std::error_code ec;
    if (!p.empty()) fs::remove(p, ec);
}

// A temporary name beside `target`: hidden, unique in this process and
// across processes (pid), recognisable (".stemforge-").
fs::path sibling_temp(const fs::path& target, const char* kind) {
    static std::atomic<unsigned> counter{0};
    std::string name = ".";
    name += target.filename().string();
    name += ".stemforge-";
    name += kind;
    name += "-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    return target.parent_path() / name;
}

// The file a path names, for comparison: the canonical path of what exists
// (links resolved), the lexically normalised absolute path of what does not.
fs::path identity(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? fs::absolute(p).lexically_normal() : c;
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) {
        const bool eq = fs::equivalent(a, b, ec);  // hard links and symbolic links too
        if (!ec) return eq;
    }
    return identity(a) == identity(b);
}

}  // namespace


Result<void> check_outputs(std::span<const NamedPath> outputs, std::span<const NamedPath> inputs) {
    for (size_t i = 0; i < outputs.size(); ++i) {
        for (const NamedPath& in : inputs)
            if (same_file(outputs[i].path, in.path))
                return fail(ErrorCode::InvalidArgument, outputs[i].role + " " + outputs[i].path.string() + " is " + in.role + " " +
                                                            in.path.string() + ": an output may not overwrite an input");
        for (size_t j = 0; j < i; ++j)
            if (same_file(outputs[i].path, outputs[j].path))
                return fail(ErrorCode::InvalidArgument, outputs[i].role + " " + outputs[i].path.string() + " and " + outputs[j].role + " " +
                                                            outputs[j].path.string() + " are one file: each output needs its own path");
    }
    return {};
}

DeliveryTransaction::~DeliveryTransaction() { abandon(); }

void DeliveryTransaction::abandon() {
    for (const fs::path& t : temps_) remove_quietly(t);
    temps_.clear();
    targets_.clear();
}

fs::path DeliveryTransaction::staged_path(const fs::path& target) const {
    for (size_t i = 0; i < targets_.size(); ++i)
        if (targets_[i] == target) return temps_[i];
    return {};
}

Result<fs::path> DeliveryTransaction::stage(const fs::path& target) {
    for (const fs::path& t : targets_)
        if (same_file(t, target))
            return fail(ErrorCode::InvalidArgument, target.string() + ": written twice by one command (two outputs with one path)");
    std::error_code ec;
    if (fs::is_directory(target, ec)) return fail(ErrorCode::FileWrite, target.string() + ": is a directory, not a file name");
    const fs::path dir = target.parent_path();
    if (!dir.empty()) {
        fs::create_directories(dir, ec);
        if (ec) return fail(ErrorCode::FileWrite, target.string() + ": cannot create folder " + dir.string() + ": " + ec.message());
    }
    targets_.push_back(target);
    temps_.push_back(sibling_temp(target, "staged"));
    return temps_.back();
}

Result<void> DeliveryTransaction::stage_text(const fs::path& target, std::string_view text) {
    auto temp = stage(target);
    if (!temp) return std::unexpected(temp.error());
    if (const int e = fault::io_error(fault::IoOp::Create, *temp))
        return fail(ErrorCode::FileWrite, target.string() + ": cannot create: " + std::strerror(e));
    std::ofstream out(*temp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out || fault::io_error(fault::IoOp::Write, *temp)) return fail(ErrorCode::FileWrite, target.string() + ": cannot write (disk full?)");
    return {};
}

Result<void> DeliveryTransaction::commit() {
    std::error_code ec;
    for (size_t i = 0; i < temps_.size(); ++i)
        if (!fs::is_regular_file(temps_[i], ec))
            return fail(ErrorCode::Internal, targets_[i].string() + ": nothing was written for this output");

    // 1. Keep what each target holds now under a backup name (a hard link:
    // the target itself stays in place until its rename).
    std::vector<std::optional<fs::path>> backups(targets_.size());
    auto drop_backups = [&] {
        for (auto& b : backups)
            if (b) remove_quietly(*b);
    };
    for (size_t i = 0; i < targets_.size(); ++i) {
        const fs::file_status st = fs::symlink_status(targets_[i], ec);
        if (!fs::exists(st) || fs::is_directory(st)) continue;  // nothing to keep (a folder fails its rename below)
        fs::path b = sibling_temp(targets_[i], "backup");
        fs::create_hard_link(targets_[i], b, ec);
        if (ec) {  // e.g. a file system without hard links: copy instead
            ec.clear();
            fs::copy(targets_[i], b, fs::copy_options::copy_symlinks, ec);
        }
        if (ec) {
            drop_backups();
            return fail(ErrorCode::FileWrite, targets_[i].string() + ": cannot keep a backup before replacing it: " + ec.message());
        }
        backups[i] = b;
    }

    // 2. Rename every staged file over its target; on a failure, undo.
    for (size_t i = 0; i < targets_.size(); ++i) {
        if (const int e = fault::io_error(fault::IoOp::Rename, temps_[i], targets_[i])) ec.assign(e, std::generic_category());
        else fs::rename(temps_[i], targets_[i], ec);
        if (!ec) continue;
        const std::string why = targets_[i].string() + ": cannot move the finished file into place (" + ec.message() +
                                "); no output was changed";
        for (size_t j = 0; j < i; ++j) {
            std::error_code undo;
            if (backups[j])
                fs::rename(*backups[j], targets_[j], undo);
            else
                fs::remove(targets_[j], undo);
            backups[j].reset();
        }
        drop_backups();
        abandon();
        return fail(ErrorCode::FileWrite, why);
    }
    drop_backups();
    temps_.clear();
    targets_.clear();
    return {};
}

}  // namespace sf

// Stemforge — errors that cross module boundaries.
//
// Expected failures (a file, a session, a device, a plan) travel as
// `Result<T>` = std::expected<T, Error>. Programmer mistakes assert instead.
// The CLI turns an Error into one line `stemforge: error: <message>`.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sf {

enum class ErrorCode {
    InvalidSession,   // the session file breaks a rule; message names the JSON path
    InvalidArgument,  // a command-line or API argument is out of range
    FileNotFound,
    FileRead,         // unreadable, corrupt, truncated, empty, unsupported format
    FileWrite,        // cannot create, write or rename an output
    BadAudio,         // NaN/Inf samples or other content a render cannot accept
    NotSupported,     // a feature that is parsed but not rendered yet
    Device,           // GPU device, memory or driver failure
    DeviceLimit,      // the GPU cannot render this session (a capability or size limit); the CPU path can
    Cancelled,        // stopped on request (a signal, a cancel button); nothing was written
    Internal,
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;  // one line, names the file / JSON path / stem
    int vk_result = 0;    // VkResult when the error came from Vulkan, else 0
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
    return std::unexpected<Error>(Error{code, std::move(message), 0});
}

}  // namespace sf

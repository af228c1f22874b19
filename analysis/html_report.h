// Stemforge — the QC report as one self-contained HTML page (`stemforge qc
// --html`): a verdict per file, the key figures, the checks table coloured
// by status, the codec round trips and the plots (loudness over time with
// target and ceiling, spectrum, spectrogram, vectorscope, correlation over
// time) embedded as data: PNG images. No script, no external resource: it
// reads the same offline, in a mail attachment or a browser.
#pragma once

#include <span>
#include <string>

#include "analysis/qc.h"
#include "engine/core/error.h"

namespace sf::analysis {

// RFC 4648 base64 (with padding).
std::string base64_encode(std::span<const uint8_t> bytes);
// Text escaped for HTML element content and attribute values (& < > " ').
std::string html_escape(std::string_view text);

// The page for one or more reports. Errors: the plots' (the font, PNG
// encoding); nothing is written here (the caller stages the file).
Result<std::string> html_report(std::span<const QcReport> reports);

}  // namespace sf::analysis

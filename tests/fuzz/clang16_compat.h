// Force-included into engine/session/session_json.cpp by the fuzz build when
// the compiler is clang 16 (tests/fuzz/CMakeLists.txt): clang implements
// class template argument deduction for aggregates (P1816, C++20) only from
// clang 17, so `Overloaded{lambda, lambda}` needs the deduction guide that
// GCC does without. Declared here, before the file's own definition of the
// template, in the same (anonymous) namespace.
#pragma once

namespace sf {
namespace {
template <class... F>
struct Overloaded;
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace
}  // namespace sf

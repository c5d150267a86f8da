#pragma once
// Control-plane errors. The data plane never throws; it counts and drops.

#include <stdexcept>
#include <string>

namespace loa {

/// An error with a message fit for an operator: what failed and why.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Wraps errno into an Error: "<what>: <strerror>".
[[noreturn]] void throwSystemError(const std::string& what, int err);

}  // namespace loa

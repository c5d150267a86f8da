#pragma once
// SRTP protect cost against the number of live sessions, per libsrtp build.

#include <string>
#include <vector>

namespace loa::bench {

/// Prints a table and a JSON line; writes the JSON to `jsonPath` too when it is not empty.
int runSrtpBench(const std::vector<size_t>& sessionCounts, double budgetSeconds, const std::string& jsonPath);

}  // namespace loa::bench

#pragma once
// Building blocks for integration tests: free loopback ports, the station counters loa-station
// prints, and audio analysis of what a receiver wrote (configs: ConfigBuilder.hpp).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace loa {
class StationFarm;
}

namespace loa::test {

class Process;

/// Unix time in ms: what loa-station stamps what it hears with.
int64_t unixMs();

/// A port on 127.0.0.1, free for UDP and TCP, reserved for this process (never handed out twice,
/// nor to another test process) and outside the kernel's ephemeral range.
uint16_t freeUdpPort();

/// Runs `loa-gateway keys` for a station; returns what it printed (exits the test on failure).
std::string stationKeys(const std::filesystem::path& config, const std::string& station, bool sdpOnly);

/// The counters of one loa-station run, from its JSON line.
std::map<std::string, long long> parseStats(const std::string& json);

/// A loa-station receiving on 127.0.0.1:`port` under `key` for `seconds`: its counters (JSON)
/// in dir/NAME.json, its audio in dir/NAME.wav, its log in dir/NAME.log.
std::unique_ptr<Process> startStation(const std::filesystem::path& dir, const std::string& name, uint16_t port,
                                      const std::vector<uint8_t>& key, double seconds);

/// Expects every station of `farm` to have heard at least `atLeast` packets with none missing,
/// none out of order and (for stations with a key) every one authentic. Names the station.
void expectEveryPacket(const StationFarm& farm, uint64_t atLeast);

/// When (Unix ms, on arrival) the priority a loa-station heard changed, and to what: the
/// "priority_changes" of its JSON line. The first is its first packet.
std::vector<std::pair<int64_t, int>> priorityChanges(const std::string& json);

/// What a loa-station labelled what it played with, and when (Unix ms): the "alert_changes" of
/// its JSON line. An empty id: no alert from then on.
struct HeardAlert {
    int64_t atMs = 0;
    std::string id, status;
};
std::vector<HeardAlert> alertChanges(const std::string& json);
/// The alert (id) a station was hearing at Unix ms `atMs` ("" for none).
std::string alertAt(const std::vector<HeardAlert>& changes, int64_t atMs);

/// The frequency (Hz) with the most energy between `lo` and `hi` in mono `samples` at `rate`.
double dominantFrequency(const std::vector<float>& samples, int rate, double lo, double hi);
/// Goertzel power at `hz` over samples [from, from + count) at 48 kHz: a pure tone of energy E
/// over the window gives about E·count/2.
double powerAt(const std::vector<float>& samples, size_t from, size_t count, double hz);
/// The sum of squares over samples [from, from + count).
double energy(const std::vector<float>& samples, size_t from, size_t count);

/// The longest run (ms) of 5 ms windows whose RMS is below `threshold`.
double longestGapMs(const std::vector<float>& samples, int rate, float threshold);

/// The tone (one of `tones`) that dominates each 100 ms of mono 48 kHz `audio`, runs of the
/// same collapsed: (tone, number of windows). 0 names a window with none of them.
std::vector<std::pair<int, int>> toneRuns(const std::vector<float>& audio, const std::vector<int>& tones);
/// The tones of runs at least `minWindows` long, in order.
std::vector<int> sequenceOf(const std::vector<std::pair<int, int>>& runs, int minWindows);
/// "tone×windows ..." for failure messages.
std::string describe(const std::vector<std::pair<int, int>>& runs);

}  // namespace loa::test

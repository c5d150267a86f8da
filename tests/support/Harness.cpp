#include "Harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <set>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "Process.hpp"
#include "StationFarm.hpp"
#include "common/Base64.hpp"
#include "net/UdpSocket.hpp"

namespace loa::test {

int64_t unixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {
/// True if `port` can be bound on 127.0.0.1 now, as UDP and as TCP.
bool bindable(uint16_t port) {
    for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
        const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (!ok) return false;
    }
    return true;
}
}  // namespace

uint16_t freeUdpPort() {
    // Binding port 0 and closing can hand the same port out twice (the kernel reuses it), and a
    // port from the ephemeral range can be taken by any client socket meanwhile. So ports come
    // from below that range, each reserved for the life of this process by a lock file that
    // other test processes honour, and never handed out twice by this one.
    constexpr uint16_t kFirst = 20000, kLast = 32000;
    static std::mutex mutex;
    static std::set<uint16_t> given;
    static std::vector<int> locks;  // held open until the process ends
    std::lock_guard lock(mutex);
    const auto dir = std::filesystem::temp_directory_path() / "loa-test-ports";
    std::filesystem::create_directories(dir);
    static std::mt19937 random(static_cast<unsigned>(::getpid()) * 2654435761u ^
                               static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
    const uint16_t span = kLast - kFirst;
    const uint16_t start = static_cast<uint16_t>(random() % span);
    for (uint16_t i = 0; i < span; ++i) {
        const auto port = static_cast<uint16_t>(kFirst + (start + i) % span);
        if (given.count(port)) continue;
        const int fd = ::open((dir / std::to_string(port)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !bindable(port)) {
            ::close(fd);
            continue;
        }
        given.insert(port);
        locks.push_back(fd);
        return port;
    }
    ADD_FAILURE() << "no free port between " << kFirst << " and " << kLast;
    return 0;
}

std::string stationKeys(const std::filesystem::path& config, const std::string& station, bool sdpOnly) {
    const auto dir = config.parent_path();
    std::vector<std::string> args = {LOA_GATEWAY_BIN, "keys", "--config", config.string(), "--station", station};
    if (sdpOnly) args.push_back("--sdp");
    Process keys(args, dir / ("keys-" + station + ".out"), dir / ("keys-" + station + ".err"));
    EXPECT_EQ(keys.wait(std::chrono::seconds(10)), 0) << keys.errors();
    return keys.output();
}

std::map<std::string, long long> parseStats(const std::string& json) {
    std::map<std::string, long long> out;
    static const std::regex field("\"([a-z_]+)\":(-?[0-9]+)");
    for (std::sregex_iterator it(json.begin(), json.end(), field), end; it != end; ++it) {
        out[(*it)[1]] = std::stoll((*it)[2]);
    }
    return out;
}

std::unique_ptr<Process> startStation(const std::filesystem::path& dir, const std::string& name, uint16_t port,
                                      const std::vector<uint8_t>& key, double seconds) {
    return std::make_unique<Process>(
        std::vector<std::string>{LOA_STATION_BIN, "--listen", "127.0.0.1:" + std::to_string(port), "--key",
                                 base64Encode(key), "--duration", std::to_string(seconds), "--wav",
                                 (dir / (name + ".wav")).string()},
        dir / (name + ".json"), dir / (name + ".log"));
}

void expectEveryPacket(const StationFarm& farm, uint64_t atLeast) {
    for (size_t i = 0; i < farm.counters().size(); ++i) {
        const auto& c = farm.counters()[i];
        SCOPED_TRACE("station " + std::to_string(i) + " at " + farm.stations()[i].address.toString());
        ASSERT_GE(c.received, atLeast);
        ASSERT_EQ(c.missing, 0u);
        ASSERT_EQ(c.outOfOrder, 0u);
        ASSERT_EQ(c.authFailures, 0u);
        if (!farm.stations()[i].key.empty()) {
            ASSERT_EQ(c.authenticated, c.received);
        }
    }
    EXPECT_EQ(farm.strays(), 0u);
}

std::vector<std::pair<int64_t, int>> priorityChanges(const std::string& json) {
    std::vector<std::pair<int64_t, int>> out;
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object() || !j.contains("priority_changes")) return out;
    for (const auto& c : j["priority_changes"])
        out.emplace_back(c[0].get<int64_t>(), c[1].get<int>());
    return out;
}

std::vector<HeardAlert> alertChanges(const std::string& json) {
    std::vector<HeardAlert> out;
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object() || !j.contains("alert_changes")) return out;
    for (const auto& c : j["alert_changes"])
        out.push_back({c[0].get<int64_t>(), c[1].get<std::string>(), c[2].get<std::string>()});
    return out;
}

std::string alertAt(const std::vector<HeardAlert>& changes, int64_t atMs) {
    std::string id;
    for (const auto& c : changes) {
        if (c.atMs > atMs) break;
        id = c.id;
    }
    return id;
}

double dominantFrequency(const std::vector<float>& samples, int rate, double lo, double hi) {
    double best = 0, bestPower = -1;
    for (double f = lo; f <= hi; f += 0.25) {
        // Goertzel at f over the whole window: 0.25 Hz steps, finer than the ±5 Hz asked.
        const double w = 2.0 * M_PI * f / rate;
        const double coeff = 2.0 * std::cos(w);
        double s1 = 0, s2 = 0;
        for (float x : samples) {
            const double s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        if (power > bestPower) {
            bestPower = power;
            best = f;
        }
    }
    return best;
}

double powerAt(const std::vector<float>& a, size_t from, size_t count, double hz) {
    const double coeff = 2.0 * std::cos(2.0 * M_PI * hz / 48000);
    double s1 = 0, s2 = 0;
    for (size_t i = from; i < from + count; ++i) {
        const double s0 = a[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

double energy(const std::vector<float>& a, size_t from, size_t count) {
    double total = 0;
    for (size_t i = from; i < from + count; ++i)
        total += static_cast<double>(a[i]) * a[i];
    return total;
}

double longestGapMs(const std::vector<float>& samples, int rate, float threshold) {
    const size_t window = static_cast<size_t>(rate / 200);
    size_t run = 0, longest = 0;
    for (size_t at = 0; at + window <= samples.size(); at += window) {
        double sum = 0;
        for (size_t i = at; i < at + window; ++i)
            sum += double{samples[i]} * samples[i];
        if (std::sqrt(sum / static_cast<double>(window)) < threshold) {
            longest = std::max(longest, ++run);
        } else {
            run = 0;
        }
    }
    return static_cast<double>(longest) * 5.0;
}

/// The tone (one of `tones`) that dominates each 100 ms of `audio`, runs of the same collapsed:
/// (tone, number of windows). 0 names a window with none of them (silence, a crossfade).
std::vector<std::pair<int, int>> toneRuns(const std::vector<float>& audio, const std::vector<int>& tones) {
    std::vector<std::pair<int, int>> runs;
    constexpr size_t kWindow = 4800;
    for (size_t at = 0; at + kWindow <= audio.size(); at += kWindow) {
        const double total = energy(audio, at, kWindow);
        int best = 0;
        double bestPower = 0;
        for (int hz : tones) {
            const double p = powerAt(audio, at, kWindow, hz);
            if (p > bestPower) {
                bestPower = p;
                best = hz;
            }
        }
        // A pure tone's Goertzel power is about N/2 times its energy; demand most of it.
        if (bestPower < 0.6 * total * kWindow / 2) best = 0;
        if (!runs.empty() && runs.back().first == best) {
            ++runs.back().second;
        } else {
            runs.emplace_back(best, 1);
        }
    }
    return runs;
}

/// The tones of runs at least `minWindows` long, in order.
std::vector<int> sequenceOf(const std::vector<std::pair<int, int>>& runs, int minWindows) {
    std::vector<int> out;
    for (const auto& [tone, windows] : runs) {
        if (tone != 0 && windows >= minWindows && (out.empty() || out.back() != tone)) out.push_back(tone);
    }
    return out;
}

std::string describe(const std::vector<std::pair<int, int>>& runs) {
    std::string s;
    for (const auto& [tone, windows] : runs)
        s += std::to_string(tone) + "×" + std::to_string(windows) + " ";
    return s;
}
}  // namespace loa::test

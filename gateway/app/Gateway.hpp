#pragma once
// The running gateway: its programmes, its media socket and the fan-out, driven by one media
// thread on the frame clock. The control thread (signals, reload) hands changes over through a
// queue that the media thread drains between frames; it never touches media state directly.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fanout/Fanout.hpp"
#include "net/UdpSocket.hpp"
#include "pipelines/Programme.hpp"
#include "settings/Settings.hpp"
#include "srtp/RolloverReservation.hpp"

namespace loa {

/// The SRTP master key and salt of `station`: from its config, or derived from the gateway secret.
std::vector<uint8_t> stationKeyMaterial(const StationSettings& station, std::span<const uint8_t> gatewaySecret);

class Gateway {
public:
    /// Loads the secret, binds the media port and prepares every programme and station.
    /// Throws loa::Error naming what failed.
    explicit Gateway(Settings settings);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    void start();
    void stop();

    /// Applies a reloaded configuration: stations are added, changed and removed between two
    /// frames without a gap for the others. Changes to the gateway or programme sections need a
    /// restart and make the whole reload refused (loa::Error); the running config stays.
    std::string reload(const Settings& next);

    /// Control thread, about once a second: grows the SRTP rollover reservation ahead of use.
    void maintain();

    /// Advances with every frame the media thread sends: the watchdog's proof of life.
    uint64_t heartbeat() const { return ticks_.load(std::memory_order_relaxed); }
    const Settings& settings() const { return settings_; }

private:
    struct Change {
        std::string removeId;                      ///< station to remove, if not empty
        std::unique_ptr<Destination> destination;  ///< destination to add, if set
    };

    void mediaLoop();
    void applyChanges();
    std::unique_ptr<Destination> destinationFor(const StationSettings& station) const;
    void logSummary() const;

    Settings settings_;
    std::vector<uint8_t> secret_;
    UdpSocket socket_;
    RolloverReservation reservation_;
    std::vector<std::unique_ptr<Programme>> programmes_;
    Fanout fanout_;

    std::thread media_;
    std::atomic<bool> running_{false};
    std::atomic<uint64_t> ticks_{0};
    uint64_t resyncs_ = 0;

    std::mutex changesMutex_;
    std::vector<Change> changes_;
    std::atomic<bool> changesPending_{false};
};

}  // namespace loa

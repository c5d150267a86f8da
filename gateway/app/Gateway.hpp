#pragma once
// The running gateway: its programmes, driven by one media thread on the frame clock, and the
// fan-out engine whose workers send each frame to the stations and multicast groups. The
// control thread (signals, reload) changes destinations only through the engine's queues.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/ApiServer.hpp"
#include "app/SegmentStore.hpp"
#include "app/StationCredentials.hpp"
#include "control/EmergencyManager.hpp"
#include "control/EmergencyRouter.hpp"
#include "control/StationRegistry.hpp"
#include "fanout/FanoutEngine.hpp"
#include "net/UdpSocket.hpp"
#include "pipelines/Programme.hpp"
#include "sdp/StationSdp.hpp"
#include "settings/Settings.hpp"
#include "srtp/IndexReservation.hpp"
#include "state/ReplayFloors.hpp"
#include "state/StateStore.hpp"

namespace loa {

class Gateway : public EmergencyOutput {
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

    /// Control thread, about once a second: grows the SRTP rollover reservation ahead of use,
    /// ends expired emergencies, keeps the database, says what the media thread counted (a
    /// clock resync, the minute's summary) and which stations went online or offline.
    void maintain();
    /// Main thread, a few times a second: what went on air since, and the programmes' meters, as
    /// events.
    void publishLevels();

    /// EmergencyOutput: an emergency takes a free slot (a programme of its own, encoded once),
    /// or the slot of one it outranks, and its stations follow it unless an emergency that
    /// outranks it lists them too. Thread-safe.
    std::optional<std::string> startEmergency(const std::string& id, const EmergencyAudio& audio,
                                              const std::vector<std::string>& stations) override;
    void stopEmergency(const std::string& id) override;
    void joinEmergency(const std::string& id, const std::string& station) override;

    /// Advances with every frame the media thread sends: the watchdog's proof of life.
    uint64_t heartbeat() const { return ticks_.load(std::memory_order_relaxed); }

private:
    void mediaLoop();
    std::unique_ptr<Destination> destinationFor(const StationSettings& station) const;
    std::unique_ptr<Destination> destinationFor(const MulticastGroupSettings& group, int fd) const;
    size_t programmeIndex(const std::string& id) const;
    /// The minute's summary (control thread): the programmes' lines, then the fan-out's and the
    /// media port's figures.
    void logSummary(const std::vector<std::string>& programmeLines);
    /// Each programme's summary line (media thread, or once it has stopped: their counters are its).
    std::vector<std::string> programmeSummaries() const;

    /// The running config: an immutable snapshot, replaced whole by reloads and API changes
    /// (stationsMutex_ held). Any thread reads it with current() and keeps a consistent view.
    std::atomic<std::shared_ptr<const Settings>> settings_;
    std::shared_ptr<const Settings> current() const { return settings_.load(); }
    /// The programmes, as configured: they never change in a run (a reload refuses it), so any
    /// thread reads them without a lock.
    const std::vector<ProgrammeSettings> programmeSettings_;
    const StationCredentials credentials_;  ///< every SSRC, key and SDP, from the gateway secret
    UdpSocket socket_;
    std::vector<UdpSocket> groupSockets_;
    IndexReservation reservation_;
    /// The receiving paths' durable replay floors (station reports, live feeds, upstreams).
    std::unique_ptr<ReplayFloors> floors_;
    std::vector<std::unique_ptr<Programme>> programmes_;  ///< the config's, then the emergency slots
    FanoutEngine engine_;
    const SegmentStore segments_;  ///< uploaded segment files (state_dir/segments)
    std::unique_ptr<StateStore> store_;
    std::unique_ptr<EmergencyManager> emergencies_;
    std::unique_ptr<StationRegistry> registry_;
    std::map<std::string, SocketAddress> learned_;  ///< stations' addresses from their reports
    std::thread reports_;
    void reportLoop();
    RegisteredStation registration(const StationSettings& station) const { return credentials_.registration(station); }
    std::vector<RegisteredStation> registered() const;
    EventHub events_;
    std::mutex stationsMutex_;  ///< one change of the station list at a time (reload, API)
    /// Stations, then the schedule, as `next` has them (between two frames, no gap for others).
    std::string apply(const Settings& next);
    std::string applyStations(const Settings& next);
    /// One station added, changed (`now`) or removed (null) over the API: the same as
    /// applyStations, in work proportional to the one station (stationsMutex_ held).
    std::string applyStation(const std::string& id, const StationSettings* now);
    /// The config with the runtime changes saved in the state database laid over it.
    Settings withRuntimeChanges(Settings settings);
    /// The stations with their key epochs from the state database.
    Settings withKeyEpochs(Settings settings);
    /// An operator's re-key of a station whose state was lost: a new key epoch (saved, audited),
    /// its stream and reports under the new key from the next frame; returns its new SDP.
    nlohmann::json rekeyStation(const Actor& caller, const std::string& id);
    /// An uploaded segment file, stored (under a plain name) in state_dir/segments; audited.
    nlohmann::json uploadSegment(const Actor& caller, const std::string& name, const std::string& body, bool replace);
    /// One audit record for what `caller` asked.
    void audit(const Actor& caller, const std::string& action, const std::string& subject, const std::string& outcome,
               const nlohmann::json& detail);
    /// The media port's refusals by reason: for the metrics and the status.
    std::vector<std::pair<const char*, uint64_t>> mediaRefusals();
    /// add, change or remove a station or a schedule entry through the API; saved, then applied.
    nlohmann::json changeDefinition(StateStore::ChangeKind kind, const Actor& caller, const std::string& action,
                                    const std::string& id, const std::string& body);
    std::map<std::string, bool> online_;  ///< as last published (control thread)
    std::vector<uint64_t> switchesSeen_;  ///< each programme's switches, as last published (control thread)
    std::unique_ptr<ApiHandler> apiHandler_;
    std::unique_ptr<ApiServer> api_;

    nlohmann::json statusJson();
    nlohmann::json stationsJson();
    nlohmann::json scheduleJson();
    std::optional<std::string> stationSdp(const std::string& id);
    std::string metricsText();

    mutable std::mutex slotsMutex_;  ///< router_, learned_, and the order of the fan-out's follow commands
    /// The emergency slots on air and which stations each reaches.
    std::unique_ptr<EmergencyRouter> router_;
    /// Each slot's programmes, one per distinct programme format; each programme's format.
    std::vector<std::vector<size_t>> slotProgrammes_;
    std::vector<size_t> formatOf_;
    /// The programme `station` hears now: the emergency that outranks the others among those
    /// listing it, else its own (slotsMutex_ held, or `station` a copy).
    size_t programmeFor(const StationSettings& station) const;

    /// A parent's alerts, as the upstreams' receive threads hear them, handed to the relay thread
    /// (which records and routes them: no database or routing work on a receive thread).
    struct ParentAlert {
        size_t programme = 0;
        std::optional<AlertInfo> alert;
    };
    std::mutex relayMutex_;
    std::condition_variable relayWake_;
    std::deque<ParentAlert> relayQueue_;
    std::thread relay_;
    void relayLoop();
    /// What an alert's origin is called here: the upstream's parent by its id, else its tag.
    std::string originName(const ProgrammeSettings& programme, uint32_t tag) const;
    /// Per programme: the programme whose feed an emergency slot relays (it ticks right after
    /// it, the frame it relays just prepared), or -1.
    std::unique_ptr<std::atomic<int>[]> relayOf_;
    /// Per programme with an upstream: packets counted at the last upkeep, and since when none came.
    std::map<size_t, std::pair<uint64_t, int>> upstreamQuiet_;

    std::thread media_;
    std::atomic<bool> running_{false};
    std::atomic<uint64_t> ticks_{0};
    /// Frame clock resyncs (media thread), the last one's lag and programme; how many were said.
    std::atomic<uint64_t> resyncs_{0};
    std::atomic<int64_t> lastResyncLagMs_{0};
    std::atomic<size_t> lastResyncProgramme_{0};
    uint64_t resyncsSaid_ = 0;
    std::chrono::steady_clock::time_point nextSummary_{};  ///< the minute's summary (control thread)
    std::atomic<bool> summaryAsked_{false};  ///< the control thread asks the media thread for its lines...
    std::mutex summaryMutex_;
    std::vector<std::string> summaryLines_;    ///< ...and takes them here
    std::vector<uint64_t> lastWorkerPackets_;  // for packets/s in the summary
    std::chrono::steady_clock::time_point lastSummary_{};
    bool stopped_ = false;
    /// The process's own figures for the status (main thread writes them in maintain()).
    struct ProcessFigures {
        std::chrono::steady_clock::time_point at{};
        double cpuSeconds = 0, cpuPercent = 0, rssMiB = 0, packetsPerSecond = 0;
        uint64_t packets = 0;
    };
    ProcessFigures process_;
    std::atomic<size_t> stationsOnline_{0};
    std::mutex processMutex_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    void measureProcess();
    /// The database's upkeep (control thread): the emergency reserve restored once there is
    /// room, the audit log and CAP audio kept within their retention (hourly).
    void keepState();
    std::chrono::steady_clock::time_point lastReserveTry_{}, lastPrune_{};
};

}  // namespace loa

#include "app/Gateway.hpp"
#include "app/ModuleOptions.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "api/PrometheusText.hpp"
#include "app/ApiViews.hpp"
#include "app/FrameClock.hpp"
#include "app/StationSync.hpp"
#include "common/Clock.hpp"
#include "common/Log.hpp"
#include "common/Realtime.hpp"
#include "pipelines/PlaylistSource.hpp"
#include "pipelines/Schedule.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kGatewayTag = "gateway";
using Clock = std::chrono::steady_clock;
constexpr auto kSummaryEvery = std::chrono::seconds(60);
/// A parent silent this long (upkeeps, about a second each) ends what was relayed from it.
constexpr int kRelayHoldS = 10;

bool sameGroups(const std::vector<MulticastGroupSettings>& a, const std::vector<MulticastGroupSettings>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.id == y.id && x.programme == y.programme && x.address == y.address && x.ttl == y.ttl &&
               x.interface == y.interface && x.profile == y.profile && x.key == y.key;
    });
}

FanoutOptions fanoutOptions(const GatewaySettings& g) {
    FanoutOptions o;
    o.workers = static_cast<unsigned>(g.fanout.workers);
    o.extensionId = g.priorityExtensionId;
    o.pacing.window = std::chrono::milliseconds(g.fanout.pacingMs);
    o.pacing.slots = static_cast<unsigned>(g.fanout.slots);
    o.pacing.realtimePriority = g.fanout.realtimePriority;
    return o;
}
}  // namespace

Gateway::Gateway(Settings initial)
    : settings_(std::make_shared<const Settings>(std::move(initial))),
      programmeSettings_(current()->programmes),
      credentials_(loadOrCreateSecret(current()->gateway.secretFile())),
      socket_(current()->gateway.mediaListen),
      reservation_(current()->gateway.stateDir / "srtp-rollover"),
      engine_(reservation_, fanoutOptions(current()->gateway)),
      segments_(current()->gateway.segmentsDir()) {
    auto settings = current();
    initLibSrtp();
    socket_.setBufferSizes(4 << 20, 1 << 20);
    floors_ = std::make_unique<ReplayFloors>(settings->gateway.stateDir / "floors.db");
    for (const auto& p : settings->programmes)
        programmes_.push_back(std::make_unique<Programme>(
            credentials_.withIngestKeys(p), settings->gateway.priorityExtensionId, settings->schedule,
            [] { return std::chrono::system_clock::now(); }, floors_.get()));
    // Emergency slots: programmes of their own, idle until an emergency takes one; in each slot
    // one per distinct programme format, so that a station hears an emergency in its own
    // programme's payload type, channels and frame size.
    std::vector<const ProgrammeSettings*> formats;
    for (const auto& p : settings->programmes) {
        const auto same = std::find_if(formats.begin(), formats.end(), [&](const ProgrammeSettings* f) {
            return f->payloadType == p.payloadType && f->encoder == p.encoder;
        });
        formatOf_.push_back(static_cast<size_t>(same - formats.begin()));
        if (same == formats.end()) formats.push_back(&p);
    }
    for (int k = 0; k < settings->emergency.slots; ++k) {
        auto& inSlot = slotProgrammes_.emplace_back();
        for (const auto* format : formats) {
            ProgrammeSettings slot = *format;
            slot.id = "emergency-" + std::to_string(k + 1) + (formats.size() > 1 ? "-" + format->id : "");
            slot.name = "Emergency";
            slot.live.reset();
            slot.upstream.reset();
            slot.playlist.reset();
            slot.filler.reset();
            slot.loudness.reset();
            inSlot.push_back(programmes_.size());
            programmes_.push_back(
                std::make_unique<Programme>(slot, settings->gateway.priorityExtensionId, std::vector<ScheduleEntry>{}));
            programmes_.back()->makeEmergencySlot();
        }
    }
    router_ = std::make_unique<EmergencyRouter>(slotProgrammes_.size());
    relayOf_ = std::make_unique<std::atomic<int>[]>(programmes_.size());
    for (size_t k = 0; k < programmes_.size(); ++k)
        relayOf_[k] = -1;
    for (size_t k = 0; k < settings->programmes.size(); ++k) {
        programmes_[k]->setRealtimePriority(settings->gateway.fanout.realtimePriority);
        programmes_[k]->onUpstreamAlert([this, k](const std::optional<AlertInfo>& alert) {
            {
                std::lock_guard lock(relayMutex_);
                relayQueue_.push_back({k, alert});
            }
            relayWake_.notify_one();
        });
    }
    store_ = std::make_unique<StateStore>(settings->gateway.stateDir / "loa.db");
    settings_.store(std::make_shared<const Settings>(withRuntimeChanges(*settings)));
    settings = current();
    for (auto& p : programmes_)
        p->setSchedule(settings->schedule);  // the schedule changed at runtime before this start
    registry_ = std::make_unique<StationRegistry>(*store_, settings->gateway.stationOfflineS, floors_.get());
    registry_->setStations(registered());
    learned_ = registry_->savedAddresses();
    emergencies_ = std::make_unique<EmergencyManager>(*store_, *this, emergencyOptions(*settings));
    emergencies_->setAudioCheck([](const std::filesystem::path& file) { return audioFileProblem(file); });
    emergencies_->setObserver([this](const std::string& action, const EmergencyRecord& r, const std::string& outcome) {
        events_.publish({{"type", "emergency"},
                         {"action", action},
                         {"id", r.id},
                         {"status", r.status},
                         {"state", r.state},
                         {"outcome", outcome}});
    });
    if (settings->api) {
        apiHandler_ = std::make_unique<ApiHandler>(
            *settings->api, *emergencies_, *store_,
            ApiSources{
                .status = [this] { return statusJson(); },
                .stations = [this] { return stationsJson(); },
                .metrics = [this] { return metricsText(); },
                .stationSdp = [this](const std::string& id) { return stationSdp(id); },
                .schedule = [this] { return scheduleJson(); },
                .changeStation =
                    [this](const Actor& c, const std::string& action, const std::string& id, const std::string& body) {
                        return changeDefinition(StateStore::ChangeKind::station, c, action, id, body);
                    },
                .changeScheduleEntry =
                    [this](const Actor& c, const std::string& action, const std::string& id, const std::string& body) {
                        return changeDefinition(StateStore::ChangeKind::scheduleEntry, c, action, id, body);
                    },
                .uploadSegment = [this](const Actor& c, const std::string& name, const std::string& body,
                                        bool replace) { return uploadSegment(c, name, body, replace); },
                .segments = [this] { return segments_.list(); },
                .rekeyStation = [this](const Actor& c, const std::string& id) { return rekeyStation(c, id); }});
        api_ = std::make_unique<ApiServer>(*settings->api, *apiHandler_, events_);
    }
    for (const auto& s : settings->stations) {
        if (auto d = destinationFor(s)) engine_.add(std::move(d));
    }
    groupSockets_.reserve(settings->multicastGroups.size());  // fds stay valid: no reallocation
    for (const auto& g : settings->multicastGroups) {
        auto& socket = groupSockets_.emplace_back(g.interface ? *g.interface : *SocketAddress::parse("0.0.0.0:0"));
        socket.setMulticastSending(g.ttl, g.interface ? &*g.interface : nullptr, true);
        socket.setBufferSizes(1 << 20, 64 << 10);
        engine_.add(destinationFor(g, socket.fd()));
    }
    LOA_LOG(info, kGatewayTag) << "gateway " << settings->gateway.id << ": " << programmeSettings_.size()
                               << " programme(s), " << programmes_.size() - programmeSettings_.size()
                               << " emergency slot programme(s), " << settings->stations.size() << " station(s), "
                               << settings->multicastGroups.size() << " multicast group(s), " << engine_.workerCount()
                               << " fan-out worker(s), media on " << socket_.localAddress().toString() << ", "
                               << libSrtpVersion() << ", SRTP rollover counters from " << reservation_.start();
}

Gateway::~Gateway() {
    stop();
}

size_t Gateway::programmeIndex(const std::string& id) const {
    const auto& programmes = programmeSettings_;  // never changes in a run: no lock needed
    const auto it = std::find_if(programmes.begin(), programmes.end(), [&](const auto& p) { return p.id == id; });
    return static_cast<size_t>(it - programmes.begin());
}

std::unique_ptr<Destination> Gateway::destinationFor(const StationSettings& station) const {
    // Where its own reports say it is, else where the config says.
    SocketAddress address = station.address;
    {
        std::lock_guard lock(slotsMutex_);
        if (const auto learned = learned_.find(station.id); learned != learned_.end()) address = learned->second;
    }
    if (address.length() == 0) return nullptr;  // not heard from yet: nowhere to send
    // In every emergency that lists it, whenever it joins: added, changed, re-added or learned.
    return makeDestination(station.id, programmeFor(station), address, socket_.fd(), credentials_.ssrc(station),
                           station.profile, credentials_.key(station));
}

size_t Gateway::programmeFor(const StationSettings& station) const {
    const size_t own = programmeIndex(station.programme);
    if (const auto slot = router_->slotFor(station.id)) return slotProgrammes_[*slot][formatOf_[own]];
    return own;
}

std::vector<RegisteredStation> Gateway::registered() const {
    const auto settings = current();
    std::vector<RegisteredStation> out;
    for (const auto& s : settings->stations)
        out.push_back(registration(s));
    return out;
}

void Gateway::reportLoop() {
    uint8_t buffer[kMaxDatagram];
    const auto follow = [&](const StationMove& moved) {
        std::optional<StationSettings> station;
        bool firstHeard = false;
        {
            std::lock_guard lock(slotsMutex_);
            const auto settings = current();
            if (const auto* s = settings->findStation(moved.station)) station = *s;
            firstHeard = station && station->learnsAddress() && !learned_.count(moved.station);
            learned_[moved.station] = moved.address;
        }
        if (firstHeard) {
            // A station without a configured address is served from its first report on, in the
            // emergency it is listed by if one went on air meanwhile (the fan-out keeps the order).
            if (auto d = destinationFor(*station)) {
                engine_.add(std::move(d));
                std::lock_guard lock(slotsMutex_);
                engine_.follow(moved.station, programmeFor(*station));
            }
        } else {
            engine_.moveTo(moved.station, moved.address);
        }
        events_.publish(
            {{"type", "station"}, {"id", moved.station}, {"event", "moved"}, {"address", moved.address.toString()}});
    };
    while (running_) {
        socket_.receiveWaiting(buffer, 100, 64, [&](std::span<uint8_t> datagram, const SocketAddress& from) {
            if (const auto moved = registry_->handle(datagram, from, StateStore::nowMs())) follow(*moved);
        });
        // Reports beyond their saved floor (stations that rebooted or are new): one save for the batch.
        for (const auto& moved : registry_->settle())
            follow(moved);
    }
}

std::unique_ptr<Destination> Gateway::destinationFor(const MulticastGroupSettings& group, int fd) const {
    return makeDestination(groupDestinationId(group.id), programmeIndex(group.programme), group.address, fd,
                           credentials_.ssrc(group), group.profile, credentials_.key(group));
}

void Gateway::start() {
    floors_->start();  // what the floors ask for at start is saved before anything is received
    // What was on air before a restart is on air again before anything is received (a parent's
    // alert then comes back with the parent's stream, not from the record).
    emergencies_->resume();
    engine_.start();
    for (auto& p : programmes_)
        p->start();
    running_ = true;
    media_ = std::thread([this] { mediaLoop(); });
    reports_ = std::thread([this] { reportLoop(); });
    relay_ = std::thread([this] { relayLoop(); });
    pthread_setname_np(relay_.native_handle(), "loa-relay");
    pthread_setname_np(media_.native_handle(), "loa-media");  // named for top -H, gdb and the tests
    pthread_setname_np(reports_.native_handle(), "loa-reports");
    if (api_) api_->start();
}

namespace {
/// What a programme has on air, since when, and its meter: the status's and the levels event's.
nlohmann::json onAirJson(const Programme& p) {
    const auto [source, level] = p.onAir();
    return {{"id", p.settings().id},
            {"on_air", source},
            {"level", toString(level)},
            {"since_ms", p.onAirSinceMs()},
            {"meter_dbfs", std::round(p.meterDb() * 10) / 10}};
}
}  // namespace

std::vector<std::pair<const char*, uint64_t>> Gateway::mediaRefusals() {
    const auto r = registry_->counters();
    return {{"unauthentic", r.authFailures}, {"replay", r.replays},   {"stale", r.stale},
            {"unknown_ssrc", r.unknown},     {"malformed", r.malformed}, {"oversized", socket_.oversized()}};
}

nlohmann::json Gateway::statusJson() {
    const auto settings = current();
    nlohmann::json programmes = nlohmann::json::array();
    for (const auto& p : programmes_) {
        if (p->idleSlot()) continue;
        auto j = onAirJson(*p);
        j["name"] = p->settings().name;
        j["frames"] = p->framesEncoded();
        j["switches"] = p->switches();
        j["has_live"] = p->live() != nullptr;
        programmes.push_back(std::move(j));
    }
    const auto t = engine_.totals();
    nlohmann::json live = nlohmann::json::array();
    for (const auto& e : emergencies_->list(true))
        live.push_back({{"id", e.id}, {"status", e.status}, {"state", e.state}});
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& [name, file] : settings->emergency.messages)
        messages.push_back(name);
    uint64_t refused = 0;
    for (const auto& [reason, count] : mediaRefusals())
        refused += count;
    std::unique_lock figures(processMutex_);
    const ProcessFigures process = process_;
    figures.unlock();
    return {{"gateway", settings->gateway.id},
            {"timezone", processTimeZoneName()},
            {"programmes", programmes},
            {"stations", settings->stations.size()},
            {"stations_online", stationsOnline_.load()},
            {"destinations", t.destinations},
            {"packets", t.packets},
            {"send_errors", t.sendErrors},
            {"would_block", t.wouldBlock},
            {"late_frames", t.lateFrames},
            {"packets_per_second", std::round(process.packetsPerSecond)},
            {"cpu_percent", std::round(process.cpuPercent * 10) / 10},
            {"rss_mib", std::round(process.rssMiB * 10) / 10},
            {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count()},
            {"media_refused", refused},
            {"srtp_index_space_used", reservation_.used()},
            {"emergency_messages", messages},
            {"emergencies", live}};
}

std::optional<std::string> Gateway::stationSdp(const std::string& id) {
    const auto settings = current();
    StationStream stream;
    const auto* station = settings->findStation(id);
    if (!station) return std::nullopt;
    stream = credentials_.describe(*settings, *station);
    // The rollover counter its stream is at now: a receiver joining it needs it (the SDES
    // exchange has no field for it, so the SDP carries it as a=x-loa-roc).
    const auto d = engine_.destination(id);
    stream.rolloverCounter = d ? static_cast<uint32_t>(d->nextIndex >> 16) : reservation_.start();
    return makeStationSdp(stream);
}

nlohmann::json Gateway::scheduleJson() {
    return scheduleView(current()->schedule, std::chrono::system_clock::now());
}

nlohmann::json Gateway::stationsJson() {
    const auto settings = current();
    const auto destinations = engine_.destinations();
    std::unordered_map<std::string_view, const DestinationStatus*> byId;  // thousands of stations: no scans
    for (const auto& d : destinations)
        byId.emplace(d.id, &d);
    const auto following = router_->following();  // station -> emergency it hears
    const int64_t now = StateStore::nowMs();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : settings->stations) {
        StationFacts facts;
        if (const auto d = byId.find(s.id); d != byId.end()) facts.sent = &d->second->counters;
        facts.programmeOnAir = programmes_[programmeIndex(s.programme)]->onAir();
        if (const auto e = following.find(s.id); e != following.end()) facts.emergency = &e->second;
        facts.reports = registry_->status(s.id);
        facts.online = facts.reports && registry_->online(*facts.reports, now);
        facts.offlineAfterS = settings->gateway.stationOfflineS;
        out.push_back(stationView(s, facts));
    }
    return out;
}

std::string Gateway::metricsText() {
    PrometheusText m;
    const auto t = engine_.totals();
    m.single("loa_fanout_packets_total", "counter", "SRTP packets sent to stations and groups.", t.packets)
        .single("loa_fanout_bytes_total", "counter", "Bytes of those packets.", t.bytes)
        .single("loa_fanout_send_errors_total", "counter", "Packets the kernel refused to send.", t.sendErrors)
        .single("loa_fanout_would_block_total", "counter", "Sends that found the socket buffer full.", t.wouldBlock)
        .single("loa_fanout_late_frames_total", "counter", "Frames a fan-out worker sent after their pacing slot.",
                t.lateFrames)
        .single("loa_destinations", "gauge", "Stations and groups the fan-out sends to.", t.destinations)
        .single("loa_fanout_workers", "gauge", "Fan-out worker threads.", engine_.workerCount())
        .single("loa_fanout_realtime_workers", "gauge", "Fan-out workers running at real-time priority.",
                t.realtimeWorkers)
        .single("loa_state_reserve_spent", "gauge", "1 while the database's emergency reserve is spent (disk full).",
                store_->reserveSpent() ? 1 : 0);
    const auto perProgramme = [&](const char* name, const char* type, const char* help, auto value) {
        m.family(name, type, help);
        for (const auto& p : programmes_)
            m.sample(name, value(*p), {{"programme", p->settings().id}});
    };
    perProgramme("loa_programme_frames_total", "counter", "Frames encoded, per programme and emergency slot.",
                 [](const Programme& p) { return p.framesEncoded(); });
    perProgramme("loa_programme_encoder_restarts_total", "counter", "Encoder restarts after an encoding error.",
                 [](const Programme& p) { return p.encoderRestarts(); });
    perProgramme("loa_programme_switches_total", "counter", "Changes of the source on air.",
                 [](const Programme& p) { return p.switches(); });
    perProgramme("loa_programme_level", "gauge",
                 "Priority level on air: 1 emergency, 2 live, 3 upstream, 4 scheduled, 5 filler.",
                 [](const Programme& p) { return static_cast<int>(p.onAir().second); });
    // Everything that reaches the media port and the ingest ports, and what was refused there.
    const auto r = registry_->counters();
    m.single("loa_media_reports_total", "counter", "Authentic station receiver reports taken.", r.reports)
        .single("loa_media_moves_unsaved_total", "counter",
                "Station address changes not followed because their replay floor could not be saved.", r.unsaved)
        .family("loa_media_refused_total", "counter", "Datagrams refused at the media port, by reason.");
    for (const auto& [reason, count] : mediaRefusals())
        m.sample("loa_media_refused_total", count, {{"reason", reason}});
    m.family("loa_ingest_packets_total", "counter", "Packets received on a live feed or upstream port.");
    for (const auto& p : programmes_) {
        for (const auto* ingest : {p->liveIngest(), p->upstreamIngest()}) {
            if (ingest)
                m.sample("loa_ingest_packets_total", ingest->counters().received.load(),
                         {{"programme", p->settings().id}, {"feed", ingest->name()}});
        }
    }
    m.family("loa_ingest_refused_total", "counter", "Packets refused at a live feed or upstream port, by reason.");
    for (const auto& p : programmes_) {
        for (const auto* ingest : {p->liveIngest(), p->upstreamIngest()}) {
            if (!ingest) continue;
            const auto& c = ingest->counters();
            for (const auto& [reason, count] : {std::pair{"unauthentic", c.authFailures.load()},
                                                {"replay", c.replays.load()},
                                                {"stale", c.stale.load()},
                                                {"floor_unsaved", c.unsaved.load()},
                                                {"unexpected_source", c.unexpectedSource.load()},
                                                {"malformed", c.malformed.load()},
                                                {"oversized", ingest->oversized()},
                                                {"foreign_ssrc", c.foreignSsrc.load()}})
                m.sample("loa_ingest_refused_total", count,
                         {{"programme", p->settings().id}, {"feed", ingest->name()}, {"reason", reason}});
        }
    }
    // Each live feed's own life: how often it yielded, started afresh, and what came too late.
    const auto perFeed = [&](const char* name, const char* help, auto value) {
        m.family(name, "counter", help);
        for (const auto& p : programmes_) {
            for (const auto* feed : {p->live(), p->upstream()}) {
                if (feed)
                    m.sample(name, value(feed->counters()), {{"programme", p->settings().id}, {"feed", feed->id()}});
            }
        }
    };
    perFeed("loa_feed_yields_total", "Times a live feed yielded (stopped, silent or unauthentic).",
            [](const LiveSource::Counters& c) { return c.yields.load(); });
    perFeed("loa_feed_restarts_total", "Times a live feed's stream started afresh (new SSRC or a jump).",
            [](const LiveSource::Counters& c) { return c.restarts.load(); });
    perFeed("loa_feed_late_total", "Packets that arrived after their turn to play.",
            [](const LiveSource::Counters& c) { return c.late.load(); });
    perFeed("loa_feed_skew_drops_total", "Frames dropped to follow a sender's faster clock.",
            [](const LiveSource::Counters& c) { return c.skewDrops.load(); });
    const auto& f = floors_->counters();
    m.single("loa_srtp_index_space_used", "gauge", "Share of the SRTP index space (rollover counters) used, 0 to 1.",
             reservation_.used())
        .single("loa_media_reports_ahead_total", "counter",
                "Station reports that waited for their replay floor to be saved.", r.ahead)
        .single("loa_replay_floor_flushes_total", "counter", "Saves of the replay floors.", f.flushes.load())
        .single("loa_replay_floor_rows_total", "counter", "Replay floor rows written.", f.rows.load())
        .single("loa_replay_floor_failures_total", "counter", "Replay floor saves that failed.", f.failures.load())
        .single("loa_replay_floor_last_flush_seconds", "gauge", "How long the last replay floor save took.",
                static_cast<double>(f.lastFlushUs.load()) / 1e6)
        .single("loa_replay_floor_streams", "gauge", "Streams with a replay floor.", floors_->streams())
        .single("loa_emergencies_active", "gauge", "Emergencies pending or on air.", emergencies_->list(true).size())
        .family("loa_station_packets_total", "counter", "SRTP packets sent, per station and group.");
    for (const auto& d : engine_.destinations())
        m.sample("loa_station_packets_total", d.counters.packets, {{"station", d.id}});
    return m.str();
}

std::optional<std::string> Gateway::startEmergency(const std::string& id, const EmergencyAudio& audio,
                                                   const std::vector<std::string>& stations) {
    std::lock_guard lock(slotsMutex_);
    const auto settings = current();  // (taken under the lock: the latest, in order with changes)
    const auto byId = stationsById(settings->stations);
    std::vector<std::string> known;
    for (const auto& station : stations) {
        if (byId.count(station)) known.push_back(station);
    }
    auto taken = router_->take(id, {audio.alert.status, audio.fromParent, 0}, known);
    const LiveSource* live = nullptr;
    if (!audio.liveProgramme.empty()) {
        const auto& p = *programmes_[programmeIndex(audio.liveProgramme)];
        live = audio.relayUpstream ? p.upstream() : p.live();
    }
    for (const size_t p : slotProgrammes_[taken.slot]) {
        relayOf_[p] = live ? static_cast<int>(programmeIndex(audio.liveProgramme)) : -1;
        programmes_[p]->emergency()->arm(audio.toneMs, audio.message, live, audio.alert);
    }
    // Its stations, and those of the emergency whose slot it took, each to what it hears now.
    for (const auto* list : {&known, &taken.displacedStations}) {
        for (const auto& station : *list) {
            if (const auto s = byId.find(station); s != byId.end()) engine_.follow(station, programmeFor(*s->second));
        }
    }
    return taken.displaced;
}

void Gateway::stopEmergency(const std::string& id) {
    std::lock_guard lock(slotsMutex_);
    const auto settings = current();  // (taken under the lock: the latest, in order with changes)
    const auto slot = router_->slotOf(id);
    if (!slot) return;
    for (const size_t p : slotProgrammes_[*slot]) {
        programmes_[p]->emergency()->disarm();
        relayOf_[p] = -1;
    }
    const auto stations = router_->release(id);
    // Each station goes back to its own programme, or to the emergency that now outranks the rest.
    const auto byId = stationsById(settings->stations);
    for (const auto& station : stations) {
        if (const auto s = byId.find(station); s != byId.end()) engine_.follow(station, programmeFor(*s->second));
    }
}

void Gateway::joinEmergency(const std::string& id, const std::string& station) {
    std::lock_guard lock(slotsMutex_);
    const auto settings = current();  // (taken under the lock: the latest, in order with changes)
    if (!router_->add(id, station)) return;
    if (const auto* s = settings->findStation(station)) engine_.follow(station, programmeFor(*s));
}

void Gateway::stop() {
    if (api_) api_->stop();
    running_ = false;
    relayWake_.notify_all();
    if (relay_.joinable()) relay_.join();
    if (media_.joinable()) media_.join();
    if (reports_.joinable()) reports_.join();
    for (auto& p : programmes_)
        p->stop();
    engine_.stop();
    floors_->stop();
    if (!stopped_) logSummary(programmeSummaries());  // the last figures (the media thread has stopped)
    stopped_ = true;
}

std::string Gateway::reload(const Settings& next) {
    std::lock_guard changes(stationsMutex_);
    const auto settings = current();  // (taken under the lock: the latest, in order with changes)
    const auto& g = settings->gateway;
    const auto& n = next.gateway;
    if (n.id != g.id || n.stateDir != g.stateDir || !(n.mediaListen == g.mediaListen) ||
        n.priorityExtensionId != g.priorityExtensionId || n.fanout != g.fanout || n.timezone != g.timezone) {
        throw Error(
            "the gateway section changed (id, state_dir, media, priority_extension_id, timezone or fanout): restart to "
            "apply");
    }
    if (settings->programmes != next.programmes) {
        throw Error("the programmes changed: restart the gateway to apply");
    }
    if (settings->api != next.api || settings->emergency != next.emergency) {
        throw Error("the api or emergency section changed: restart the gateway to apply");
    }
    if (!sameGroups(settings->multicastGroups, next.multicastGroups)) {
        throw Error("the multicast groups changed: restart the gateway to apply");
    }
    log::setLevel(n.logLevel);
    return apply(withRuntimeChanges(next));
}

std::string Gateway::apply(const Settings& next) {
    const auto settings = current();
    const bool scheduleChanged = settings->schedule != next.schedule;
    std::string summary = applyStations(next);
    if (scheduleChanged) {
        for (auto& p : programmes_)
            p->setSchedule(next.schedule);
        summary += "; schedule replaced (" + std::to_string(next.schedule.size()) + " entries)";
    }
    return summary;
}

std::string Gateway::applyStations(const Settings& next) {
    const auto settings = current();
    const auto changes = compareStations(settings->stations, next.stations);
    // Build every new destination first (key derivation may fail): nothing changes unless all can.
    std::vector<std::unique_ptr<Destination>> additions;
    std::vector<RegisteredStation> registering;  // only what changed: the registry keeps the rest
    for (const auto* s : changes.arriving) {
        if (auto d = destinationFor(*s)) additions.push_back(std::move(d));
        registering.push_back(registration(*s));
    }
    {
        std::lock_guard lock(slotsMutex_);  // an emergency starting now sees the old or the new stations, whole
        settings_.store(std::make_shared<const Settings>(next));
    }
    // Then the emergency rules: one they start from now on finds every station it lists here
    // (a station they add to an alert on air is routed now, and served once its destination is).
    emergencies_->updateOptions(emergencyOptions(next));
    registry_->update(registering, changes.gone);
    for (const auto& id : changes.leaving)
        engine_.remove(id);
    std::vector<std::string> arriving;
    for (auto& d : additions) {
        arriving.push_back(d->id);
        engine_.add(std::move(d));
    }
    // An emergency may have started since the destinations were made: each follows what it
    // hears now (the fan-out applies the commands in order).
    {
        std::lock_guard lock(slotsMutex_);
        for (const auto& id : arriving) {
            if (const auto* st = next.findStation(id)) engine_.follow(id, programmeFor(*st));
        }
    }
    return changes.summary();
}

std::string Gateway::applyStation(const std::string& id, const StationSettings* now) {
    const auto settings = current();
    const StationSettings* before = settings->findStation(id);
    const bool replace = !before || !now || !sameStream(*before, *now);
    // Everything that may fail first (key derivation): nothing changes unless all can.
    std::unique_ptr<Destination> destination;
    std::vector<RegisteredStation> registering;
    if (now && replace) {
        destination = destinationFor(*now);
        registering.push_back(registration(*now));
    }
    StationChanges one;
    (!before ? one.added : now ? one.changed : one.removed) = 1;
    const std::string summary = one.summary();
    {
        // A new snapshot with the one station changed: readers keep the one they hold.
        auto next = std::make_shared<Settings>(*settings);
        auto& list = next->stations;
        const auto it = std::find_if(list.begin(), list.end(), [&](const auto& s) { return s.id == id; });
        if (!now) {
            if (it != list.end()) list.erase(it);
        } else if (it == list.end()) {
            list.push_back(*now);
        } else {
            *it = *now;
        }
        std::lock_guard lock(slotsMutex_);  // an emergency starting now sees the old or the new stations, whole
        settings_.store(std::move(next));
    }
    emergencies_->updateStation(id, now);  // after the snapshot, as in applyStations
    if (!replace) return summary;
    registry_->update(registering, now ? std::vector<std::string>{} : std::vector<std::string>{id});
    if (before) engine_.remove(id);
    if (destination) {
        engine_.add(std::move(destination));
        // An emergency may have started meanwhile: it follows what it hears now.
        std::lock_guard lock(slotsMutex_);
        engine_.follow(id, programmeFor(*now));
    }
    return summary;
}

Settings Gateway::withRuntimeChanges(Settings settings) {
    using Kind = StateStore::ChangeKind;
    // One context for every change, the current stations lent to it for each (a copy of the
    // whole config per change made a restart quadratic in stations times changes).
    Settings context = settings;
    context.stations.clear();
    const auto skipped = [](const std::string& id, const std::string& why) {
        LOA_LOG(warn, kGatewayTag) << "the runtime change of " << id << " no longer applies: " << why;
    };
    settings.stations = overlaid(
        settings.stations, store_->changes(Kind::station),
        [&](const std::string& definition, std::vector<StationSettings>& current) {
            std::swap(context.stations, current);
            struct GiveBack {
                std::vector<StationSettings>& a;
                std::vector<StationSettings>& b;
                ~GiveBack() { std::swap(a, b); }
            } giveBack{context.stations, current};
            return parseStation(definition, context, "runtime station change");
        },
        skipped);
    settings.schedule = overlaid(
        settings.schedule, store_->changes(Kind::scheduleEntry),
        [&](const std::string& definition, std::vector<ScheduleEntry>&) {
            return parseScheduleEntry(definition, settings, "runtime schedule change");
        },
        skipped);
    return withKeyEpochs(std::move(settings));
}

Settings Gateway::withKeyEpochs(Settings settings) {
    const auto epochs = store_->keyEpochs();
    for (auto& s : settings.stations) {
        const auto it = epochs.find(s.id);
        s.keyEpoch = it == epochs.end() ? 0 : it->second;
    }
    return settings;
}

nlohmann::json Gateway::rekeyStation(const Actor& caller, const std::string& id) {
    std::lock_guard changes(stationsMutex_);
    const auto settings = current();  // (taken under the lock: the latest, in order with changes)
    const auto refuse = [&](RefusalReason reason, const std::string& why) {
        audit(caller, "station.rekey", id, "refused", {{"reason", why}});
        throw Refusal(reason, why);
    };
    Settings next = *settings;
    const auto it = std::find_if(next.stations.begin(), next.stations.end(), [&](const auto& s) { return s.id == id; });
    if (it == next.stations.end()) refuse(RefusalReason::notFound, "no station '" + id + "'");
    if (it->key)
        refuse(RefusalReason::conflict,
               "station '" + id + "' has its key given in its definition: give it a new key there instead");
    it->keyEpoch = store_->raiseKeyEpoch(id, StateStore::nowMs());  // durable before it is used
    const StationSettings station = *it;
    const std::string summary = apply(next);
    audit(caller, "station.rekey", id, "ok", {{"key_epoch", station.keyEpoch}});
    LOA_LOG(warn, kGatewayTag) << "station " << id << " has a new key (epoch " << station.keyEpoch << ") from "
                        << caller.name << ": give it its new SDP; " << summary;
    events_.publish({{"type", "station"}, {"id", id}, {"event", "rekeyed"}});
    StationStream stream;
    stream = credentials_.describe(*current(), station);
    return {{"id", id}, {"key_epoch", station.keyEpoch}, {"sdp", makeStationSdp(stream)}};
}

void Gateway::audit(const Actor& caller, const std::string& action, const std::string& subject,
                    const std::string& outcome, const nlohmann::json& detail) {
    store_->audit({0, 0, caller.name, std::string(toString(caller.role)), caller.address, action, subject, outcome,
                   detail.dump()});
}

nlohmann::json Gateway::uploadSegment(const Actor& caller, const std::string& name, const std::string& body,
                                      bool replace) {
    SegmentStore::Stored stored;
    try {
        stored = segments_.store(name, body, replace);
    } catch (const Refusal& e) {
        audit(caller, "segment.upload", name, "refused", {{"reason", e.what()}});
        throw;
    }
    audit(caller, "segment.upload", name, "ok", {{"bytes", body.size()}, {"replaced", stored.replaced}});
    LOA_LOG(info, kGatewayTag) << "segment " << name << (stored.replaced ? " replaced" : " uploaded") << " by "
                               << caller.name << " (" << body.size() << " bytes)";
    return {{"name", name}, {"path", stored.file.string()}, {"bytes", body.size()}, {"replaced", stored.replaced}};
}

nlohmann::json Gateway::changeDefinition(StateStore::ChangeKind kind, const Actor& caller, const std::string& action,
                                         const std::string& id, const std::string& body) {
    std::lock_guard changes(stationsMutex_);
    const auto settings = current();  // changes are made one at a time: this is the latest
    const bool station = kind == StateStore::ChangeKind::station;
    const std::string what = station ? "station" : "schedule entry";
    const auto record = [&](const std::string& outcome, const std::string& detail) {
        audit(caller, (station ? "station." : "schedule.") + action, id, outcome, {{"reason", detail}});
    };
    const auto refuse = [&](RefusalReason reason, const std::string& why) {
        record("refused", why);
        throw Refusal(reason, why);
    };
    const auto check = [&](bool exists) {
        if (action == "remove" && !exists) refuse(RefusalReason::notFound, "no " + what + " '" + id + "'");
        if (action == "add" && exists)
            refuse(RefusalReason::conflict, what + " '" + id + "' exists; change it instead");
        if (action == "change" && !exists) refuse(RefusalReason::notFound, "no " + what + " '" + id + "'");
    };
    const auto parsed = [&](auto parse) {
        try {
            auto item = parse();
            if (item.id != id) refuse(RefusalReason::invalid, "the body's id '" + item.id + "' is not '" + id + "'");
            return item;
        } catch (const ConfigError& e) {
            refuse(RefusalReason::invalid, e.what());
        }
        throw Refusal(RefusalReason::invalid, "unreachable");
    };
    std::string summary;
    if (station) {
        // One station: checked against the others, saved, then applied alone (no copy of the
        // whole station list: a gateway of 10,000 stations adds one as fast as one of ten).
        check(settings->findStation(id) != nullptr);
        std::optional<StationSettings> item;
        if (action != "remove") {
            item = parsed([&] { return parseStation(body, *settings, "request"); });
            const auto epochs = store_->keyEpochs();
            if (const auto e = epochs.find(id); e != epochs.end()) item->keyEpoch = e->second;
        }
        store_->saveChange(kind, {id, action == "remove" ? "" : body, action == "remove"},
                           StateStore::nowMs());  // durable before it is done
        summary = applyStation(id, item ? &*item : nullptr);
    } else {
        Settings next = *settings;
        auto& list = next.schedule;
        check(std::any_of(list.begin(), list.end(), [&](const auto& x) { return x.id == id; }));
        std::erase_if(list, [&](const auto& x) { return x.id == id; });
        if (action != "remove") list.push_back(parsed([&] { return parseScheduleEntry(body, *settings, "request"); }));
        store_->saveChange(kind, {id, action == "remove" ? "" : body, action == "remove"},
                           StateStore::nowMs());  // durable before it is done
        summary = apply(withKeyEpochs(std::move(next)));
    }
    record("ok", summary);
    LOA_LOG(info, kGatewayTag) << what << " " << id << " " << action << " by " << caller.name << ": " << summary;
    events_.publish({{"type", station ? "station" : "schedule"},
                     {"id", id},
                     {"event", action == "remove" ? "removed"
                               : action == "add"  ? "added"
                                                  : "changed"}});
    return {{"id", id}, {"action", action}, {"result", summary}};
}

void Gateway::publishLevels() {
    // What went on air since the last look, as events (here, not on the media thread: no JSON
    // and no lock of the event hub's there).
    switchesSeen_.resize(programmes_.size(), 0);
    for (size_t k = 0; k < programmes_.size(); ++k) {
        const auto& p = *programmes_[k];
        const uint64_t switches = p.switches();
        if (switches == switchesSeen_[k]) continue;
        switchesSeen_[k] = switches;
        const auto [source, level] = p.onAir();
        events_.publish(
            {{"type", "on_air"}, {"programme", p.settings().id}, {"source", source}, {"level", toString(level)}});
    }
    if (events_.subscribers() == 0) return;  // nobody watching the meters: no work
    nlohmann::json programmes = nlohmann::json::array();
    for (const auto& p : programmes_) {
        if (p->idleSlot()) continue;
        programmes.push_back(onAirJson(*p));
    }
    events_.publish({{"type", "levels"}, {"programmes", programmes}});
}

void Gateway::measureProcess() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    const auto now = Clock::now();
    const uint64_t packets = engine_.totals().packets;
    std::unique_lock lock(processMutex_);
    if (process_.at.time_since_epoch().count()) {
        const double elapsed = std::chrono::duration<double>(now - process_.at).count();
        if (elapsed > 0) {
            process_.cpuPercent = (cpu - process_.cpuSeconds) / elapsed * 100;
            process_.packetsPerSecond = static_cast<double>(packets - process_.packets) / elapsed;
        }
    }
    process_.at = now;
    process_.cpuSeconds = cpu;
    process_.packets = packets;
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    process_.rssMiB = static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void Gateway::keepState() {
    const auto now = std::chrono::steady_clock::now();
    if (store_->reserveSpent() && now - lastReserveTry_ >= std::chrono::seconds(5)) {
        lastReserveTry_ = now;
        store_->restoreReserve();
    }
    if (lastPrune_.time_since_epoch().count() != 0 && now - lastPrune_ < std::chrono::hours(1)) return;
    lastPrune_ = now;
    const GatewaySettings g = current()->gateway;
    try {
        const int64_t day = 86400000;
        if (const auto n = store_->pruneAudit(StateStore::nowMs() - g.auditRetentionDays * day, g.auditMaxRows)) {
            LOA_LOG(info, kGatewayTag) << "deleted " << n << " audit entries past their retention";
        }
    } catch (const StorageError& e) {
        LOA_LOG(warn, kGatewayTag) << "cannot prune the audit log: " << e.what();
    }
    emergencies_->pruneCapAudio(std::chrono::hours(24) * g.capAudioRetentionDays);
}

void Gateway::maintain() {
    reservation_.extendIfNeeded(engine_.highestRolloverCounter());
    // What the media thread counted: a frame clock that fell behind, and the minute's summary.
    if (const uint64_t resyncs = resyncs_.load(std::memory_order_acquire); resyncs != resyncsSaid_) {
        LOA_LOG(warn, kGatewayTag) << programmes_[lastResyncProgramme_.load(std::memory_order_relaxed)]->settings().id
                                   << ": frame clock fell " << lastResyncLagMs_.load(std::memory_order_relaxed)
                                   << " ms behind; resynchronised (" << resyncs - resyncsSaid_
                                   << " resync(s) since the last warning)";
        resyncsSaid_ = resyncs;
    }
    // The minute's summary: the programmes' lines are made by the media thread (their counters
    // and sources are its own), asked here and said here a second later.
    if (const auto now = Clock::now(); now >= nextSummary_) {
        if (nextSummary_.time_since_epoch().count()) summaryAsked_.store(true, std::memory_order_release);
        nextSummary_ = now + kSummaryEvery;
    } else if (!summaryAsked_.load(std::memory_order_acquire)) {
        std::vector<std::string> lines;
        {
            std::lock_guard lock(summaryMutex_);
            lines.swap(summaryLines_);
        }
        if (!lines.empty()) logSummary(lines);
    }
    measureProcess();
    if (apiHandler_) apiHandler_->summarizeRefusals();
    keepState();
    // Stations going online or offline are events.
    const int64_t now = StateStore::nowMs();
    const auto settings = current();
    for (const auto& station : settings->stations) {
        const auto& id = station.id;
        const auto st = registry_->status(id);
        const bool online = st && registry_->online(*st, now);
        const auto [it, fresh] = online_.try_emplace(id, online);
        if (!fresh && it->second == online) continue;
        it->second = online;
        if (fresh && !online) continue;  // never heard: not news
        events_.publish({{"type", "station"}, {"id", id}, {"event", online ? "online" : "offline"}});
        LOA_LOG(info, kGatewayTag) << "station " << id << " is " << (online ? "online" : "offline");
    }
    stationsOnline_ = static_cast<size_t>(std::count_if(online_.begin(), online_.end(), [](const auto& kv) {
        return kv.second;
    }));
    // A parent that stops sending altogether (it died) ends what was relayed from it after a
    // while; its alert is relayed again from the first packet when it is back.
    for (size_t k = 0; k < programmeSettings_.size(); ++k) {
        const auto* ingest = programmes_[k]->upstreamIngest();
        if (!ingest) continue;
        auto& [seen, quiet] = upstreamQuiet_[k];
        const uint64_t received = ingest->counters().received.load();
        quiet = received == seen ? quiet + 1 : 0;
        seen = received;
        try {
            if (const auto alert = ingest->alert()) {
                // While the parent's stream carries an alert, it is relayed: again, if a first
                // try failed (no room to record it, no slot) or raced a restart.
                emergencies_->relayFromParent(*alert, programmeSettings_[k].id,
                                              originName(programmeSettings_[k], alert->origin));
            } else if (quiet == kRelayHoldS) {
                emergencies_->parentStopped(programmeSettings_[k].id,
                                            "no packets from the parent for " + std::to_string(kRelayHoldS) + " s");
            }
        } catch (const std::exception& e) {
            LOA_LOG(error, kGatewayTag) << programmeSettings_[k].id << ": a parent's alert could not be relayed: " << e.what();
        }
    }
    try {
        emergencies_->tick();
    } catch (const std::exception& e) {
        LOA_LOG(error, kGatewayTag) << "emergency upkeep failed: " << e.what();
    }
}

void Gateway::mediaLoop() {
    const auto settings = current();
    // The frame clock hands frames to the fan-out workers: with real-time workers, it is
    // real-time too (at their priority), or frames would reach them late on a busy machine.
    if (const int priority = settings->gateway.fanout.realtimePriority; priority > 0) {
        if (const auto error = makeThisThreadRealtime(priority); !error.empty()) {
            LOA_LOG(warn, kGatewayTag) << "media thread: no real-time priority " << priority << " (" << error << ")";
        }
    }
    FrameClock clock(programmes_.size(), Clock::now());
    std::vector<FramePtr> frames;
    // No logging, JSON or lock of the API's here: what the operator should know (a resync, the
    // minute's summary) is counted, and the control thread says it (maintain()).
    while (running_) {
        // An emergency slot runs while armed: from the next wake-up on, at most a frame away.
        for (size_t k = 0; k < programmes_.size(); ++k) {
            const auto* slot = programmes_[k]->emergency();
            if (!slot) continue;
            if (!slot->armed() || relayOf_[k] >= 0) {
                clock.pause(k);  // idle, or ticked with the feed it relays
            } else {
                clock.wake(k, Clock::now());
            }
        }
        const size_t i = clock.next();
        sleepUntil(clock.deadline(i));
        auto& programme = *programmes_[i];
        if (const auto late = clock.resyncIfLate(i, Clock::now())) {
            lastResyncLagMs_.store(std::chrono::duration_cast<std::chrono::milliseconds>(*late).count(),
                                   std::memory_order_relaxed);
            lastResyncProgramme_.store(i, std::memory_order_relaxed);
            resyncs_.fetch_add(1, std::memory_order_release);
        }
        const auto due = clock.deadline(i);
        frames.clear();
        programme.tick(frames, due);
        for (const auto& f : frames)
            engine_.publish(i, f, static_cast<uint8_t>(programme.settings().payloadType));
        // Slots relaying this programme's feed: the frame they relay is the one just prepared.
        for (size_t k = 0; k < programmes_.size(); ++k) {
            if (relayOf_[k] != static_cast<int>(i) || !programmes_[k]->emergency()->armed()) continue;
            frames.clear();
            programmes_[k]->tick(frames, due);
            for (const auto& f : frames)
                engine_.publish(k, f, static_cast<uint8_t>(programmes_[k]->settings().payloadType));
        }
        clock.advance(i, programme.framePeriod(), programme.anchor());
        ticks_.fetch_add(1, std::memory_order_relaxed);
        if (summaryAsked_.load(std::memory_order_acquire)) {  // once a minute: text only, said elsewhere
            auto lines = programmeSummaries();
            {
                std::lock_guard lock(summaryMutex_);  // (the control thread's alone, never the API's)
                summaryLines_ = std::move(lines);
            }
            summaryAsked_.store(false, std::memory_order_release);
        }
    }
}

std::string Gateway::originName(const ProgrammeSettings& programme, uint32_t tag) const {
    if (programme.upstream && !programme.upstream->parent.empty() && gatewayTag(programme.upstream->parent) == tag)
        return programme.upstream->parent;
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", tag);
    return std::string("gateway ") + hex;
}

void Gateway::relayLoop() {
    while (running_) {
        std::optional<ParentAlert> next;
        {
            std::unique_lock lock(relayMutex_);
            relayWake_.wait_for(lock, std::chrono::milliseconds(200),
                                [this] { return !relayQueue_.empty() || !running_; });
            if (relayQueue_.empty()) continue;
            next = relayQueue_.front();
            relayQueue_.pop_front();
        }
        const auto& programme = programmeSettings_[next->programme];
        try {
            if (next->alert) {
                emergencies_->relayFromParent(*next->alert, programme.id, originName(programme, next->alert->origin));
            } else {
                emergencies_->parentStopped(programme.id, "the parent's stream carries no alert now");
            }
        } catch (const std::exception& e) {
            LOA_LOG(error, kGatewayTag) << programme.id << ": a parent's alert could not be relayed: " << e.what();
        }
    }
}

std::vector<std::string> Gateway::programmeSummaries() const {
    std::vector<std::string> lines;
    for (const auto& p : programmes_) {
        if (p->idleSlot()) continue;
        lines.push_back(p->summary());
    }
    return lines;
}

void Gateway::logSummary(const std::vector<std::string>& programmeLines) {
    for (const auto& line : programmeLines)
        LOA_LOG(info, kGatewayTag) << "programme " << line;
    const auto t = engine_.totals();
    LOA_LOG(info, kGatewayTag) << "fan-out: " << t.destinations << " destinations, " << t.packets << " packets, "
                               << t.bytes << " bytes, " << t.sendErrors << " send errors, " << t.wouldBlock
                               << " would-block, " << t.lateFrames << " late frames, " << t.droppedFrames
                               << " dropped frames, " << resyncs_.load() << " clock resyncs";
    const auto r = registry_->counters();
    LOA_LOG(info, kGatewayTag) << "media port: " << r.reports << " station reports, refused " << r.authFailures
                        << " unauthentic, " << r.replays << " replayed, " << r.stale << " from before a restart, "
                        << r.ahead << " beyond their floor, " << r.unknown << " of unknown SSRC, " << r.malformed
                        << " malformed, " << socket_.oversized() << " oversized"
                        << (r.unsaved ? "; " + std::to_string(r.unsaved) + " moves not saved (state database)" : "");
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - lastSummary_).count();
    lastWorkerPackets_.resize(engine_.workerCount(), 0);
    for (unsigned w = 0; w < engine_.workerCount(); ++w) {
        const auto& stats = engine_.worker(w).stats();
        const auto& spread = stats.spread;
        const uint64_t packets = stats.packets.load(std::memory_order_relaxed);
        const double pps = lastSummary_.time_since_epoch().count() && elapsed > 0
                               ? static_cast<double>(packets - lastWorkerPackets_[w]) / elapsed
                               : 0;
        lastWorkerPackets_[w] = packets;
        using Ms = std::chrono::duration<double, std::milli>;
        LOA_LOG(info, kGatewayTag) << "fan-out worker " << w << ": " << stats.destinations.load() << " destinations, "
                            << static_cast<uint64_t>(pps) << " packets/s, " << stats.lateFrames.load()
                            << " late frames, spread p50 " << Ms(spread.quantile(0.5)).count() << " ms, p99 "
                            << Ms(spread.quantile(0.99)).count() << " ms, max " << Ms(spread.max()).count() << " ms";
    }
    lastSummary_ = now;
}

}  // namespace loa

#include "app/Gateway.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "common/Log.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kTag = "gateway";
using Clock = std::chrono::steady_clock;
/// Later than this behind the frame clock, the gateway stops catching up and resynchronises.
constexpr auto kResyncAfter = std::chrono::milliseconds(200);
constexpr auto kSummaryEvery = std::chrono::seconds(60);

bool sameProgrammes(const std::vector<ProgrammeSettings>& a, const std::vector<ProgrammeSettings>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.id == y.id && x.name == y.name && x.payloadType == y.payloadType &&
               x.encoder.bitrate == y.encoder.bitrate && x.encoder.channels == y.encoder.channels &&
               x.encoder.complexity == y.encoder.complexity && x.encoder.frameMs == y.encoder.frameMs &&
               x.playlist.mode == y.playlist.mode && x.playlist.files == y.playlist.files;
    });
}

bool sameStation(const StationSettings& a, const StationSettings& b) {
    return a.programme == b.programme && a.address == b.address && a.profile == b.profile && a.key == b.key;
}

void sleepUntil(Clock::time_point when) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}
}  // namespace

std::vector<uint8_t> stationKeyMaterial(const StationSettings& station, std::span<const uint8_t> gatewaySecret) {
    if (station.key) return *station.key;
    return deriveStationKey(gatewaySecret, station.id, station.profile);
}

Gateway::Gateway(Settings settings)
    : settings_(std::move(settings)),
      secret_(loadOrCreateSecret(settings_.gateway.secretFile())),
      socket_(settings_.gateway.mediaListen),
      reservation_(settings_.gateway.stateDir / "srtp-rollover"),
      fanout_(socket_, settings_.gateway.priorityExtensionId, reservation_) {
    initLibSrtp();
    socket_.setBufferSizes(4 << 20, 1 << 20);
    for (const auto& p : settings_.programmes)
        programmes_.push_back(std::make_unique<Programme>(p));
    for (const auto& s : settings_.stations)
        fanout_.add(destinationFor(s));
    LOA_LOG(info, kTag) << "gateway " << settings_.gateway.id << ": " << programmes_.size() << " programme(s), "
                        << settings_.stations.size() << " station(s), media on " << socket_.localAddress().toString()
                        << ", " << libSrtpVersion() << ", SRTP rollover counters from " << reservation_.start();
}

Gateway::~Gateway() {
    stop();
}

std::unique_ptr<Destination> Gateway::destinationFor(const StationSettings& station) const {
    const auto& programmes = settings_.programmes;
    const auto it =
        std::find_if(programmes.begin(), programmes.end(), [&](const auto& p) { return p.id == station.programme; });
    const auto index = static_cast<size_t>(it - programmes.begin());
    const auto key = stationKeyMaterial(station, secret_);
    return Fanout::makeDestination(station.id, index, station.address, deriveStationSsrc(secret_, station.id),
                                   SrtpSession(SrtpSession::Direction::outbound, station.profile, key));
}

void Gateway::start() {
    for (auto& p : programmes_)
        p->start();
    running_ = true;
    media_ = std::thread([this] { mediaLoop(); });
}

void Gateway::stop() {
    running_ = false;
    if (media_.joinable()) media_.join();
    for (auto& p : programmes_)
        p->stop();
}

std::string Gateway::reload(const Settings& next) {
    if (next.gateway.id != settings_.gateway.id || next.gateway.stateDir != settings_.gateway.stateDir ||
        !(next.gateway.mediaListen == settings_.gateway.mediaListen) ||
        next.gateway.priorityExtensionId != settings_.gateway.priorityExtensionId) {
        throw Error("the gateway section changed (id, state_dir, media or priority_extension_id): restart to apply");
    }
    if (!sameProgrammes(settings_.programmes, next.programmes)) {
        throw Error("the programmes changed: restart the gateway to apply");
    }
    std::vector<Change> changes;
    size_t added = 0, removed = 0, changed = 0;
    for (const auto& old : settings_.stations) {
        const auto* now = next.findStation(old.id);
        if (!now || !sameStation(old, *now)) {
            changes.push_back({old.id, nullptr});
            now ? ++changed : ++removed;
        }
    }
    for (const auto& s : next.stations) {
        const auto* before = settings_.findStation(s.id);
        if (!before || !sameStation(*before, s)) {
            if (!before) ++added;
            changes.push_back({"", destinationFor(s)});
        }
    }
    log::setLevel(next.gateway.logLevel);
    settings_ = next;
    {
        std::lock_guard lock(changesMutex_);
        for (auto& c : changes)
            changes_.push_back(std::move(c));
        changesPending_ = true;
    }
    std::ostringstream summary;
    summary << added << " station(s) added, " << changed << " changed, " << removed << " removed";
    return summary.str();
}

void Gateway::maintain() {
    reservation_.extendIfNeeded(fanout_.highestRolloverCounter());
}

void Gateway::applyChanges() {
    std::vector<Change> changes;
    {
        std::lock_guard lock(changesMutex_);
        changes.swap(changes_);
        changesPending_ = false;
    }
    for (auto& c : changes) {
        if (!c.removeId.empty()) fanout_.remove(c.removeId);
        if (c.destination) fanout_.add(std::move(c.destination));
    }
}

void Gateway::mediaLoop() {
    std::vector<Clock::time_point> deadlines(programmes_.size(), Clock::now());
    std::vector<FramePtr> frames;
    auto nextSummary = Clock::now() + kSummaryEvery;
    while (running_) {
        if (changesPending_.load(std::memory_order_acquire)) applyChanges();
        const auto i = static_cast<size_t>(std::min_element(deadlines.begin(), deadlines.end()) - deadlines.begin());
        sleepUntil(deadlines[i]);
        auto& programme = *programmes_[i];
        if (Clock::now() - deadlines[i] > kResyncAfter) {
            ++resyncs_;
            LOA_LOG(warn, kTag)
                << programme.settings().id << ": frame clock fell "
                << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - deadlines[i]).count()
                << " ms behind; resynchronised";
            deadlines[i] = Clock::now();
        }
        frames.clear();
        programme.tick(frames);
        for (const auto& f : frames)
            fanout_.send(i, *f, static_cast<uint8_t>(programme.settings().payloadType));
        deadlines[i] += programme.framePeriod();
        ticks_.fetch_add(1, std::memory_order_relaxed);
        if (Clock::now() >= nextSummary) {
            logSummary();
            nextSummary += kSummaryEvery;
        }
    }
}

void Gateway::logSummary() const {
    for (const auto& p : programmes_) {
        const auto& c = p->source().counters();
        LOA_LOG(info, kTag) << "programme " << p->settings().id << ": " << p->framesEncoded() << " frames, "
                            << c.filesStarted.load() << " files started, " << c.fileErrors.load() << " file errors, "
                            << c.underrunSamples.load() << " samples of underrun";
    }
    DestinationCounters total;
    for (const auto& d : fanout_.destinations()) {
        total.packets += d->counters.packets;
        total.bytes += d->counters.bytes;
        total.sendErrors += d->counters.sendErrors;
        total.wouldBlock += d->counters.wouldBlock;
    }
    LOA_LOG(info, kTag) << "fan-out: " << fanout_.destinations().size() << " stations, " << total.packets
                        << " packets, " << total.bytes << " bytes, " << total.sendErrors << " send errors, "
                        << total.wouldBlock << " would-block, " << resyncs_ << " clock resyncs";
}

}  // namespace loa

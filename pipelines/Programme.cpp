#include "Programme.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kProgrammeTag = "programme";

std::vector<ScheduleEntry> entriesOf(const std::string& programme, const std::vector<ScheduleEntry>& schedule) {
    std::vector<ScheduleEntry> mine;
    std::copy_if(schedule.begin(), schedule.end(), std::back_inserter(mine),
                 [&](const auto& e) { return e.programme == programme; });
    return mine;
}
}  // namespace

Programme::Programme(const ProgrammeSettings& settings, uint8_t extensionId, const std::vector<ScheduleEntry>& schedule,
                     WallClock wall, ReplayFloors* floors)
    : settings_(settings),
      wall_(std::move(wall)),
      bus_(settings.id, settings.encoder.channels, settings.encoder.samplesPerFrame(), settings.crossfadeMs,
           settings.loudness),
      pcm_(static_cast<size_t>(settings.encoder.samplesPerFrame() * settings.encoder.channels)) {
    const int channels = settings.encoder.channels;
    const int frame = settings.encoder.samplesPerFrame();
    // Sources in order of priority; the bus breaks ties by this order.
    if (settings.upstream) {
        upstreamIngest_ = std::make_unique<RtpIngest>(settings.id + "/upstream", *settings.upstream, extensionId, floors);
        upstream_ = &static_cast<LiveSource&>(bus_.add(std::make_unique<LiveSource>(
            "upstream", PriorityLevel::upstream, *settings.upstream, channels, frame, upstreamIngest_.get())));
    }
    if (settings.live) {
        liveIngest_ = std::make_unique<RtpIngest>(settings.id + "/live", *settings.live, extensionId, floors);
        live_ = &static_cast<LiveSource&>(bus_.add(std::make_unique<LiveSource>(
            "live", PriorityLevel::live, *settings.live, channels, frame, liveIngest_.get())));
    }
    if (settings.playlist) {
        segments_.push_back(&static_cast<SegmentSource&>(bus_.add(std::make_unique<SegmentSource>(
            settings.id, "playlist", PriorityLevel::scheduled, 0, *settings.playlist, channels))));
    }
    if (settings.filler) {
        segments_.push_back(&static_cast<SegmentSource&>(bus_.add(std::make_unique<SegmentSource>(
            settings.id, "filler", PriorityLevel::filler, 0, *settings.filler, channels))));
    }
    bus_.add(std::make_unique<SilenceSource>());
    pendingSchedule_ = entriesOf(settings.id, schedule);
}

Programme::~Programme() {
    stop();
}

EmergencySource& Programme::makeEmergencySlot() {
    emergency_ = &static_cast<EmergencySource&>(
        bus_.add(std::make_unique<EmergencySource>(settings_.id, settings_.encoder.channels)));
    return *emergency_;
}

void Programme::start() {
    encoder_ = std::make_unique<OpusRtpEncoder>(settings_);
    for (auto* s : segments_)
        s->start();
    if (liveIngest_) liveIngest_->start();
    if (upstreamIngest_) upstreamIngest_->start();
}

void Programme::stop() {
    if (liveIngest_) liveIngest_->stop();
    if (upstreamIngest_) upstreamIngest_->stop();
    encoder_.reset();
}

void Programme::setSchedule(const std::vector<ScheduleEntry>& schedule) {
    std::lock_guard lock(scheduleMutex_);
    pendingSchedule_ = entriesOf(settings_.id, schedule);
}

void Programme::applySchedule() {
    std::optional<std::vector<ScheduleEntry>> next;
    {
        std::unique_lock lock(scheduleMutex_, std::try_to_lock);  // never wait on the clock thread
        if (!lock.owns_lock() || !pendingSchedule_) return;
        next.swap(pendingSchedule_);
    }
    for (const auto& old : entries_) {
        const auto it = std::find(next->begin(), next->end(), old);
        if (it == next->end()) bus_.remove(old.id);
    }
    for (const auto& e : *next) {
        if (std::find(entries_.begin(), entries_.end(), e) != entries_.end()) continue;
        bus_.remove(e.id);  // a changed entry starts afresh
        bus_.add(std::make_unique<ScheduledSource>(settings_.id, e, settings_.encoder.channels, wall_));
    }
    entries_ = std::move(*next);
}

std::optional<std::chrono::steady_clock::time_point> Programme::anchor() const {
    for (const auto* feed :
         {upstream_ && upstream_->level() == PriorityLevel::emergency ? upstream_ : nullptr, live_, upstream_}) {
        if (feed && feed->receiving()) return feed->idealTick();
    }
    return std::nullopt;
}

void Programme::tick(std::vector<FramePtr>& out, std::chrono::steady_clock::time_point deadline) {
    applySchedule();
    const PriorityLevel level = bus_.mix(pcm_, deadline);
    if (bus_.counters().switches != switches_.load(std::memory_order_relaxed) ||
        level != onAirLevel_.load(std::memory_order_relaxed) || onAirSinceMs_.load(std::memory_order_relaxed) == 0) {
        const std::string id = bus_.onAir() ? bus_.onAir()->id() : "";
        auto name = std::find(names_.begin(), names_.end(), id);
        if (name == names_.end()) name = names_.insert(names_.end(), id);  // a deque keeps old ones in place
        onAirId_.store(&*name, std::memory_order_release);
        onAirLevel_.store(level, std::memory_order_release);
        switches_.store(bus_.counters().switches, std::memory_order_relaxed);
        onAirSinceMs_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count(),
                            std::memory_order_relaxed);
    }
    // The meter: the frame's peak in dBFS, falling back at most 1 dB a frame (50 dB/s).
    float peak = 0;
    for (float x : pcm_)
        peak = std::max(peak, std::abs(x));
    const float db = peak > 1e-6f ? 20.0f * std::log10(peak) : -120.0f;
    meterDb_.store(std::max(db, meterDb_.load(std::memory_order_relaxed) - 1.0f), std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (!encoder_->error().empty()) {
        // A broken encoder is rebuilt (at most once a second); the stations' streams stay
        // continuous because their headers come from the fan-out, not from the encoder.
        if (now < encoderRetry_) return;
        LOA_LOG(error, kProgrammeTag) << settings_.id << ": encoder failed (" << encoder_->error() << "); restarting it";
        encoderRetry_ = now + std::chrono::seconds(1);
        ++encoderRestarts_;
        try {
            encoder_ = std::make_unique<OpusRtpEncoder>(settings_);
        } catch (const std::exception& e) {
            LOA_LOG(error, kProgrammeTag) << settings_.id << ": cannot restart encoder: " << e.what();
            return;
        }
    }
    encoder_->push(pcm_);
    payloads_.clear();
    encoder_->pull(payloads_, 5);
    for (auto& payload : payloads_) {
        auto frame = std::make_shared<EncodedFrame>();
        frame->payload = std::move(payload);
        frame->timestamp = timestamp_;
        frame->index = framesOut_.fetch_add(1, std::memory_order_relaxed);
        frame->priority = level;
        if (emergency_ && level == PriorityLevel::emergency) frame->alert = emergency_->alert();
        frame->ready = now;
        frame->due = deadline;
        timestamp_ += static_cast<uint32_t>(settings_.encoder.samplesPerFrame());
        out.push_back(std::move(frame));
    }
}

std::pair<std::string, PriorityLevel> Programme::onAir() const {
    const std::string* id = onAirId_.load(std::memory_order_acquire);
    return {id ? *id : std::string(), onAirLevel_.load(std::memory_order_acquire)};
}

std::string Programme::summary() const {
    std::ostringstream o;
    const auto& c = bus_.counters();
    o << settings_.id << ": " << framesEncoded() << " frames, on air " << (bus_.onAir() ? bus_.onAir()->id() : "-") << ", "
      << c.switches << " switches (" << c.preemptions << " preemptions, " << c.yields << " yields)";
    for (const auto* feed : {live_, upstream_}) {
        if (!feed) continue;
        const auto& f = feed->counters();
        const auto& p = feed->playout();
        o << "; " << feed->id() << " " << feed->state() << ": " << p.decoded << " decoded, " << p.fecRecovered
          << " FEC, " << p.concealed << " concealed, " << f.late << " late, " << f.duplicates << " duplicates, "
          << f.skewDrops << "/" << f.skewInserts << " skew drops/inserts";
    }
    for (const auto* ingest : {liveIngest_.get(), upstreamIngest_.get()}) {
        if (!ingest) continue;
        const auto& c3 = ingest->counters();
        o << "; ingest " << ingest->name() << ": " << c3.received.load() << " packets, refused " << c3.authFailures.load()
          << " unauthentic, " << c3.replays.load() << " replays, " << c3.stale.load() << " from before a restart, "
          << c3.unexpectedSource.load() << " from an unexpected source, " << c3.malformed.load() << " malformed, "
          << ingest->oversized() << " oversized, " << c3.foreignSsrc.load() << " foreign SSRC";
    }
    for (const auto* s : segments_) {
        const auto& c2 = s->playlist().counters();
        o << "; " << s->id() << ": " << c2.filesStarted.load() << " files, " << c2.fileErrors.load() << " errors";
    }
    return o.str();
}

}  // namespace loa

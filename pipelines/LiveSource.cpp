#include "LiveSource.hpp"

#include <algorithm>
#include <cmath>

#include "common/Error.hpp"
#include "common/Log.hpp"

namespace loa {
namespace {
constexpr std::string_view kLiveSourceTag = "live";
constexpr double kNsPerSample = 1e9 / 48000.0;
/// Window of the smallest-offset estimate: two of these are kept.
constexpr auto kOffsetWindow = std::chrono::seconds(1);
/// Further than this off the feed's clock, the stream is started afresh rather than corrected.
constexpr double kResyncNs = 1e9;

double nsSince(BusSource::TimePoint t) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

double dbfs(std::span<const float> pcm) {
    double sum = 0;
    for (float x : pcm)
        sum += static_cast<double>(x) * x;
    const double meanSquare = pcm.empty() ? 0 : sum / static_cast<double>(pcm.size());
    return meanSquare > 1e-12 ? 10 * std::log10(meanSquare) : -120;
}
}  // namespace

LiveSource::LiveSource(std::string id, PriorityLevel level, const IngestSettings& settings, int channels,
                       int frameSamples, RtpIngest* ingest)
    : BusSource(std::move(id), level, 0, settings.gainDb, settings.duck),
      settings_(settings),
      honourPriority_(level == PriorityLevel::upstream),
      channels_(channels),
      frameSamples_(frameSamples),
      ingest_(ingest),
      decoder_(makeJitterDecoder(settings.codec, channels)),
      jitter_(256),
      frame_(static_cast<size_t>(frameSamples * channels)),
      scratch_(static_cast<size_t>(JitterDecoder::kMaxPacketSamples * channels)) {
    fifo_.reserve(static_cast<size_t>((JitterDecoder::kMaxPacketSamples + frameSamples) * channels * 2));
    arrived_.reserve(64);
}

double LiveSource::rtpNs(uint64_t extendedTs) const {
    // Signed: a packet reordered ahead of the first one is earlier than it.
    return static_cast<double>(static_cast<int64_t>(extendedTs - firstTs_)) * kNsPerSample;
}

void LiveSource::resetStream() {
    locked_ = false;
    playing_ = false;
    jitter_.reset();
    fifo_.clear();
    decoder_->reset();
    lastPriority_ = 0;
}

void LiveSource::accept(const IngestPacket& packet) {
    // RTP time, extended past its 32-bit wrap relative to the newest packet.
    uint64_t ts = 0;
    if (locked_ && packet.ssrc == ssrc_) {
        ts = highestTs_ + static_cast<uint64_t>(static_cast<int64_t>(
                              static_cast<int32_t>(packet.timestamp - static_cast<uint32_t>(highestTs_))));
    }
    if (!locked_ || packet.ssrc != ssrc_) {
        if (locked_) ++counters_.restarts;
        resetStream();
        locked_ = true;
        ssrc_ = packet.ssrc;
        ts = (uint64_t{1} << 32) | packet.timestamp;  // one cycle up: early wrap-back stays positive
        firstTs_ = highestTs_ = nextTs_ = ts;
        baseNs_ = windowMinNs_ = previousMinNs_ = nsSince(packet.arrival);
        windowStart_ = packet.arrival;
    }
    const double offset = nsSince(packet.arrival) - rtpNs(ts);
    if (packet.arrival - windowStart_ >= kOffsetWindow) {
        previousMinNs_ = windowMinNs_;
        windowMinNs_ = offset;
        windowStart_ = packet.arrival;
    } else {
        windowMinNs_ = std::min(windowMinNs_, offset);
    }
    baseNs_ = std::min(previousMinNs_, windowMinNs_);

    switch (jitter_.insert(packet.sequence, packet.payload, packet.priority)) {
        case JitterBuffer::Insert::late:
            ++counters_.late;
            // Too late for its turn, but new audio (beyond anything received before): the feed is
            // alive, only behind (a busy machine, a delay step), and must not time out for it. A
            // frozen sender's repeats are not new.
            if (ts > highestTs_) {
                lastArrival_ = packet.arrival;
                highestTs_ = ts;
                if (packet.alert) alertArrival_ = packet.arrival;
            }
            return;
        case JitterBuffer::Insert::duplicate:
            ++counters_.duplicates;
            return;
        case JitterBuffer::Insert::restarted:
            // The sequence jumped: the sender restarted without changing SSRC. Start afresh.
            ++counters_.restarts;
            resetStream();
            accept(packet);
            return;
        case JitterBuffer::Insert::accepted:
            break;
    }
    // Only new audio keeps the feed alive: a frozen sender repeating its last packet times out.
    lastArrival_ = packet.arrival;
    highestTs_ = std::max(highestTs_, ts);
    if (packet.alert) alertArrival_ = packet.arrival;
}

void LiveSource::decodeNext() {
    std::optional<uint8_t> tag;
    const int samples = decoder_->playNext(jitter_, scratch_, &tag);
    if (tag) lastPriority_ = *tag;
    fifo_.insert(fifo_.end(), scratch_.begin(), scratch_.begin() + samples * channels_);
}

void LiveSource::take(std::span<float> out) {
    while (fifo_.size() < out.size())
        decodeNext();
    std::copy_n(fifo_.begin(), out.size(), out.begin());
    fifo_.erase(fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(out.size()));
    nextTs_ += static_cast<uint64_t>(frameSamples_);
}

size_t LiveSource::buffered() const {
    return fifo_.size() + jitter_.depth() * static_cast<size_t>(frameSamples_ * channels_);
}

std::optional<BusSource::TimePoint> LiveSource::idealTick() const {
    if (!locked_) return std::nullopt;
    const double ns = baseNs_ + rtpNs(nextTs_) + settings_.jitterMs * 1e6;
    return TimePoint(std::chrono::nanoseconds(static_cast<int64_t>(ns)));
}

void LiveSource::prepare(TimePoint tick) {
    if (ingest_) {
        arrived_.clear();
        ingest_->drain(arrived_);
        for (const auto& p : arrived_)
            accept(p);
    }
    std::fill(frame_.begin(), frame_.end(), 0.0f);
    if (locked_ && tick - lastArrival_ > std::chrono::milliseconds(settings_.timeoutMs)) {
        resetStream();  // the feed stopped: stop concealing and wait for it
    }
    if (locked_) {
        const double frameNs = frameSamples_ * kNsPerSample;
        double late = nsSince(tick) - nsSince(*idealTick());  // > 0: this frame is overdue
        if (!playing_ && late >= -frameNs / 2) playing_ = true;
        if (playing_ && std::abs(late) > kResyncNs) {
            LOA_LOG(warn, kLiveSourceTag) << id() << ": " << static_cast<int64_t>(late / 1e6)
                                << " ms off the feed's clock; starting afresh";
            ++counters_.restarts;
            resetStream();
        } else if (playing_) {
            // More than a frame off the feed's clock: drop or conceal one frame per tick until
            // within half a frame. The anchor of the programme clock never gets here.
            // Only audio that is here is dropped: dropping what has not arrived would run the
            // playout past the feed, and make its next packets late.
            if (late > frameNs) {
                while (late > frameNs / 2 && buffered() >= 2 * frame_.size()) {
                    take(frame_);
                    late -= frameNs;
                    ++counters_.skewDrops;
                }
            }
            if (late < -frameNs) {
                decoder_->conceal(frame_, frameSamples_);
                ++counters_.skewInserts;
            } else {
                take(frame_);
            }
        }
    }
    levelDbfs_ = playing_ ? dbfs(frame_) : -120;
    // A parent's alert is what this feed carries from its first packet until its last one has
    // been played out (the jitter buffer holds some): until a second after.
    carryingAlert_ = alertArrival_ != TimePoint{} && tick - alertArrival_ < std::chrono::seconds(1);
    updateAvailability(tick);
}

void LiveSource::updateAvailability(TimePoint tick) {
    const int64_t frameNs = static_cast<int64_t>(frameSamples_ * kNsPerSample);
    const bool audible = levelDbfs_ >= settings_.silenceDbfs;
    const bool checkSilence = settings_.silenceS > 0;
    silentNs_ = playing_ && !audible ? silentNs_ + frameNs : 0;
    const bool good = playing_ && (!checkSilence || audible);
    goodNs_ = good ? goodNs_ + frameNs : 0;
    silenceSince_ = tick - lastArrival_;
    if (ok_) {
        std::string reason;
        if (!locked_) {
            reason = state();
        } else if (checkSilence && silentNs_ >= int64_t{settings_.silenceS} * 1'000'000'000) {
            reason = state();
        }
        if (!reason.empty()) {
            ok_ = false;
            ++counters_.yields;
            LOA_LOG(warn, kLiveSourceTag) << id() << ": yields: " << reason;
        }
    } else if (playing_ && (goodNs_ >= int64_t{settings_.returnMs} * 1'000'000 || urgent())) {
        ok_ = true;
        ++counters_.returns;
        LOA_LOG(info, kLiveSourceTag) << id() << ": available (" << settings_.returnMs << " ms of audio received)";
    }
}

bool LiveSource::urgent() const {
    return honourPriority_ && lastPriority_ == static_cast<uint8_t>(PriorityLevel::emergency) && !carryingAlert_;
}

bool LiveSource::available() const {
    // An upstream playing its own filler is idle: this gateway's schedule plays instead. One
    // carrying a parent's alert is relayed to the alert's stations by a slot, not by this bus.
    if (honourPriority_ && (lastPriority_ == static_cast<uint8_t>(PriorityLevel::filler) || carryingAlert_))
        return false;
    return ok_;
}

PriorityLevel LiveSource::level() const {
    if (urgent()) return PriorityLevel::emergency;
    return BusSource::level();
}

std::string LiveSource::state() const {
    if (honourPriority_ && lastPriority_ == static_cast<uint8_t>(PriorityLevel::filler))
        return "upstream idle (filler)";
    if (!locked_) {
        if (lastArrival_ == TimePoint{}) return "waiting for packets";
        return "no packets for " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silenceSince_).count()) + " ms";
    }
    if (settings_.silenceS > 0 && silentNs_ > 0) {
        return "silent (below " + std::to_string(static_cast<int>(settings_.silenceDbfs)) + " dBFS) for " +
               std::to_string(silentNs_ / 1'000'000) + " ms";
    }
    if (ok_) return "receiving";
    return "returning: " + std::to_string(goodNs_ / 1'000'000) + " of " + std::to_string(settings_.returnMs) +
           " ms heard";
}

void LiveSource::read(std::span<float> frame) {
    std::copy_n(frame_.begin(), std::min(frame.size(), frame_.size()), frame.begin());
}

}  // namespace loa

#include "ingest/RtpIngest.hpp"

#include <pthread.h>

#include <algorithm>

#include "common/Error.hpp"
#include "common/Log.hpp"
#include "common/Realtime.hpp"
#include "rtp/PriorityLevel.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kRtpIngestTag = "ingest";
/// Packets held for the programme clock at most (10 s of 20 ms frames).
constexpr size_t kQueueLimit = 500;
}  // namespace

RtpIngest::RtpIngest(std::string name, const IngestSettings& settings, uint8_t extensionId, ReplayFloors* floors)
    : name_(std::move(name)),
      settings_(settings),
      extensionId_(extensionId),
      socket_(settings.listen),
      floors_(settings.key ? floors : nullptr),
      keyId_(settings.key ? keyFingerprint(*settings.key) : "") {
    socket_.setBufferSizes(64 << 10, 1 << 20);
    if (!settings.key && !settings.allowPlainRtp) {
        throw Error(name_ + ": no SRTP key, and plain RTP is not allowed (allow_plain_rtp)");
    }
    if (settings.key) {
        initLibSrtp();
        srtp_.emplace(SrtpSession::Direction::inbound, settings.profile, *settings.key);
    }
    queue_.reserve(kQueueLimit);
}

RtpIngest::~RtpIngest() {
    stop();
}

void RtpIngest::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "loa-ingest");
}

void RtpIngest::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

void RtpIngest::drain(std::vector<IngestPacket>& out) {
    std::lock_guard lock(mutex_);
    for (auto& p : queue_) {
        out.push_back(std::move(p));
    }
    queue_.clear();
}

void RtpIngest::run() {
    if (realtimePriority_ > 0) {
        if (const auto error = makeThisThreadRealtime(realtimePriority_); !error.empty()) {
            LOA_LOG(warn, kRtpIngestTag) << name_ << ": no real-time priority " << realtimePriority_ << " (" << error << ")";
        }
    }
    uint8_t buffer[kMaxDatagram];
    while (running_) {
        socket_.receiveWaiting(buffer, 100, 64, [&](std::span<uint8_t> datagram, const SocketAddress& from) {
            handle(datagram, std::chrono::steady_clock::now(), from);
        });
    }
}

std::string RtpIngest::floorKey(uint32_t ssrc) const {
    // The index space is the key's and the SSRC's (RFC 3711): so is the floor, whatever feed or
    // programme the key is used for.
    return "ingest:" + keyId_ + ":" + std::to_string(ssrc);
}

std::optional<AlertInfo> RtpIngest::alert() const {
    std::lock_guard lock(alertMutex_);
    // What it carries now: nothing once its packets have stopped for a second.
    if (std::chrono::steady_clock::now() - lastAlertPacket_ > std::chrono::seconds(1)) return std::nullopt;
    return alert_;
}

void RtpIngest::refuse(std::string_view why, const SocketAddress& from) {
    uint64_t suppressed = 0;
    if (refusalLog_.allow(suppressed)) {
        LOA_LOG(warn, kRtpIngestTag) << name_ << ": packet" << (from.length() ? " from " + from.toString() : std::string())
                            << " refused: " << why << " (" << suppressed << " more refusals not shown)";
    }
}

void RtpIngest::handle(std::span<uint8_t> datagram, std::chrono::steady_clock::time_point arrival,
                       const SocketAddress& from) {
    if (!settings_.sources.empty() &&
        std::none_of(settings_.sources.begin(), settings_.sources.end(),
                     [&](const AddressPattern& p) { return p.matches(from); })) {
        ++counters_.unexpectedSource;
        refuse("not from the feed's configured source", from);
        return;
    }
    if (looksLikeRtcp(datagram) || !RtpPacket::parse(datagram)) {
        ++counters_.malformed;  // sender reports from the studio carry nothing we need
        return;
    }
    size_t length = datagram.size();
    ReplayFloors::Stream* floor = nullptr;
    uint64_t index = 0;
    if (srtp_) {
        // Indexes are estimated from the newest one taken, or, for an SSRC not yet seen in this
        // run, from the floor an earlier run saved: a studio that has sent for days is followed
        // across a restart without a rollover counter in its packets.
        const uint32_t ssrc = RtpPacket::parse(datagram)->ssrc();
        const auto known = seen_.find(ssrc);
        const uint64_t reference = known != seen_.end() ? std::max(known->second.highest, known->second.floor
                                                                                               ? known->second.floor->floor()
                                                                                               : 0)
                                   : floors_ ? floors_->saved(floorKey(ssrc))
                                             : 0;
        const SrtpResult result = unprotectRtpNear(*srtp_, datagram, length, extensionId_, reference, index);
        if (result == SrtpResult::replay) {
            ++counters_.replays;
            return;
        }
        if (result != SrtpResult::ok) {
            ++counters_.authFailures;
            refuse(toString(result), from);
            return;
        }
        auto& state = known != seen_.end() ? known->second : seen_[ssrc];
        state.highest = std::max(state.highest, index);
        if (floors_ && !state.floor) state.floor = &floors_->stream(floorKey(ssrc), kFloorMargin);
        if ((floor = state.floor)) {
            auto verdict = floor->admit(index);
            if (verdict == ReplayFloors::Stream::Verdict::ahead) {
                // Beyond what is saved (a new SSRC, or the saver fell behind): save it now,
                // before the packet is acted on.
                floors_->flush();
                verdict = floor->admit(index);
            }
            if (verdict == ReplayFloors::Stream::Verdict::stale) {
                ++counters_.stale;
                refuse("index " + std::to_string(index) + " at or below the durable floor " +
                           std::to_string(floor->floor()) + " (captured before a restart)",
                       from);
                return;
            }
            if (verdict == ReplayFloors::Stream::Verdict::ahead) {
                ++counters_.unsaved;
                refuse("its replay floor cannot be saved", from);
                return;
            }
        }
    }
    const auto rtp = RtpPacket::parse(datagram.first(length));
    if (!rtp || rtp->payloadType() != settings_.payloadType || rtp->payload().empty()) {
        ++counters_.malformed;
        refuse(!rtp                 ? std::string("not an RTP packet")
               : rtp->payload().empty() ? std::string("no payload")
                                        : "payload type " + std::to_string(rtp->payloadType()) + ", expected " +
                                              std::to_string(settings_.payloadType),
               from);
        return;
    }
    const uint32_t ssrc = rtp->ssrc();
    if (lockedSsrc_ != ssrc) {
        const auto silentFor = arrival - lastFromLocked_;
        if (lockedSsrc_ && silentFor < std::chrono::milliseconds(settings_.ssrcTakeoverMs)) {
            ++counters_.foreignSsrc;
            return;
        }
        if (lockedSsrc_) {
            ++counters_.ssrcChanges;
            LOA_LOG(warn, kRtpIngestTag) << name_ << ": SSRC " << ssrc << " takes over from " << *lockedSsrc_ << ", silent for "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(silentFor).count() << " ms";
        } else {
            LOA_LOG(info, kRtpIngestTag) << name_ << ": locked to SSRC " << ssrc;
        }
        lockedSsrc_ = ssrc;
    }
    lastFromLocked_ = arrival;
    ++counters_.received;
    counters_.bytes += length;

    IngestPacket packet;
    packet.arrival = arrival;
    packet.ssrc = ssrc;
    packet.sequence = rtp->sequence();
    packet.timestamp = rtp->timestamp();
    if (auto ext = rtp->oneByteExtension(extensionId_)) {
        if (auto info = StreamInfo::parse(*ext)) {
            if (isValidPriority(info->priority)) packet.priority = info->priority;
            packet.alert = info->alert;
        }
    }
    if (floor) floor->accepted(index);
    // A change of alert, or an alert again after a silence (the parent restarted), is told at
    // once; in the order the packets were sent, so a packet reordered at an alert's edge never
    // starts it again.
    const uint64_t order = srtp_ ? index : packet.sequence;  // plain RTP: the sequence, near enough
    if (order >= alertOrder_ || arrival - lastAccepted_ > std::chrono::seconds(1)) {
        alertOrder_ = order;
        if (packet.alert != alert_ || (packet.alert && arrival - lastAccepted_ > std::chrono::seconds(1))) {
            {
                std::lock_guard lock(alertMutex_);
                alert_ = packet.alert;
            }
            if (alertObserver_) alertObserver_(packet.alert);
        }
    }
    lastAccepted_ = arrival;
    if (packet.alert) {
        std::lock_guard lock(alertMutex_);
        lastAlertPacket_ = arrival;
    }
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kQueueLimit) {
        ++counters_.queueOverflows;
        return;
    }
    packet.payload.assign(rtp->payload().begin(), rtp->payload().end());
    queue_.push_back(std::move(packet));
}

}  // namespace loa

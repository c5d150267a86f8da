#include "StationReceiver.hpp"

#include <poll.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "common/Error.hpp"
#include "common/Log.hpp"
#include "rtp/Rtcp.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"
#include "srtp/StationKeys.hpp"

namespace loa {
namespace {
constexpr std::string_view kStationReceiverTag = "station";
using Clock = std::chrono::steady_clock;
/// With nothing received for this long, playout pauses instead of concealing forever.
constexpr auto kIdleStop = std::chrono::milliseconds(500);
/// Reports are at least this far apart: the clock's share of their index counts seconds.
constexpr auto kMinReportInterval = std::chrono::milliseconds(1000);
constexpr int kMaxFrame = OpusJitterDecoder::kMaxPacketSamples;
}  // namespace

std::string ReceiverStats::toJson() const {
    std::ostringstream o;
    o << "{\"received\":" << received << ",\"bytes\":" << bytes << ",\"lost\":" << lost
      << ",\"underruns\":" << underruns << ",\"late\":" << late << ",\"duplicates\":" << duplicates
      << ",\"decrypt_failures\":" << decryptFailures << ",\"malformed\":" << malformed << ",\"decoded\":" << decoded
      << ",\"fec_recovered\":" << fecRecovered << ",\"concealed\":" << concealed << ",\"undecodable\":" << undecodable
      << ",\"restarts\":" << restarts << ",\"rollover_resyncs\":" << rolloverResyncs
      << ",\"reports_sent\":" << reportsSent << ",\"report_index_first\":" << firstReportIndex
      << ",\"report_index_last\":" << lastReportIndex << ",\"last_priority\":" << lastPriority << ",\"ssrc\":" << ssrc
      << ",\"priority_changes\":[";
    for (size_t i = 0; i < priorityChanges.size(); ++i)
        o << (i ? "," : "") << "[" << priorityChanges[i].first << "," << priorityChanges[i].second << "]";
    o << "],\"alert_id\":\"" << alertId << "\",\"alert_status\":\"" << alertStatus << "\",\"alert_changes\":[";
    for (size_t i = 0; i < alertChanges.size(); ++i) {
        o << (i ? "," : "") << "[" << alertChanges[i].atMs << ",\"" << alertChanges[i].id << "\",\""
          << alertChanges[i].status << "\"]";
    }
    o << "]}";
    return o.str();
}

uint32_t StationReceiver::clockReportIndex() {
    const int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return static_cast<uint32_t>(std::clamp<int64_t>(seconds - 1'600'000'000, 0, SrtpSession::kMaxRtcpIndex / 2));
}

StationReceiver::StationReceiver(const StationStream& stream, int jitterMs, Sink sink,
                                 const SocketAddress* multicastInterface, std::chrono::milliseconds reportInterval,
                                 std::optional<std::filesystem::path> stateDir)
    : stream_(stream),
      socket_(stream.destination, stream.destination.isMulticast()),
      srtp_(SrtpSession::Direction::inbound, stream.profile, stream.keyMaterial),
      decoder_(stream.channels),
      sink_(std::move(sink)),
      channels_(stream.channels),
      jitterDelay_(jitterMs),
      reportInterval_(std::max<std::chrono::milliseconds>(reportInterval, kMinReportInterval)),
      pcm_(static_cast<size_t>(kMaxFrame * stream.channels)) {
    socket_.setBufferSizes(1 << 20, 1 << 20);
    if (stream.destination.isMulticast()) {
        socket_.joinMulticast(stream.destination, multicastInterface);
    } else if (stream.reportTo && stream.ssrc) {
        reportSrtp_.emplace(SrtpSession::Direction::outbound, stream.profile, stream.keyMaterial,
                            reporterSsrcFor(stream.ssrc));
        // Above every index an earlier run can have sent: the clock's share (a run starts at its
        // second + 2, sends its first report in a later second and then at most one a second, so
        // each index it sends is at most the second it is sent in + 1), and with a state
        // directory, the durable reservation.
        const uint32_t clock = clockReportIndex() + 2;
        nextReport_ = Clock::now();  // at once: the gateway may not know where this station is yet
        if (stateDir) {
            reportIndexes_.emplace(*stateDir / ("report-index-" + keyFingerprint(stream.keyMaterial)), 1024,
                                   SrtpSession::kMaxRtcpIndex, clock, "SRTCP report indexes");
            nextReportIndex_ = reportIndexes_->start();
        } else {
            // The clock alone: the first report waits for the next second, so that every index
            // is at most the second it is sent in + 1 (a run started in the same second as the
            // last one's first report starts above it).
            nextReportIndex_ = clock;
            const auto now = std::chrono::system_clock::now();
            nextReport_ += std::chrono::duration_cast<Clock::duration>(
                std::chrono::ceil<std::chrono::seconds>(now + std::chrono::milliseconds(1)) - now);
            LOA_LOG(warn, kStationReceiverTag) << "no state directory (--state): report indexes follow the clock only, which must "
                                   "not go back across restarts";
        }
        nextReportIndex_ = std::max<uint32_t>(nextReportIndex_, 1);
    }
}

StationReceiver::~StationReceiver() = default;

void StationReceiver::run(Clock::time_point deadline, const volatile bool& stop) {
    while (!stop) {
        auto now = Clock::now();
        if (now >= deadline) return;
        if (reportSrtp_ && now >= nextReport_) {
            sendReport();
            // Hearing nothing: knock every second, so that a gateway that has just restarted (or
            // a station that has just rebooted) is back at once.
            const bool hearing = stats_.received > 0 && now - lastArrival_ < kIdleStop;
            nextReport_ = now + (hearing ? reportInterval_ : kMinReportInterval);
        }
        auto wake = deadline;
        if (playing_ && nextPlayout_ < wake) wake = nextPlayout_;
        if (reportSrtp_ && nextReport_ < wake) wake = nextReport_;
        const auto waitNs = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - now).count();
        timespec timeout{static_cast<time_t>(waitNs / 1'000'000'000), static_cast<long>(waitNs % 1'000'000'000)};
        pollfd pfd{socket_.fd(), POLLIN, 0};
        ::ppoll(&pfd, 1, &timeout, nullptr);
        now = Clock::now();
        if (pfd.revents & POLLIN) receiveAll(now);
        while (playing_ && now >= nextPlayout_) {
            if (now - lastArrival_ > kIdleStop && jitter_.depth() == 0) {
                playing_ = false;  // the stream stopped; wait for it without inventing audio
                jitter_.reset();
                break;
            }
            playOne();
            nextPlayout_ += std::chrono::microseconds(frameSamples_ * 1000 / 48);
        }
    }
}

void StationReceiver::sendReport() {
    ReceiverReport r;
    r.reporterSsrc = reporterSsrcFor(stream_.ssrc);
    if (stats_.received > 0) {
        r.hasBlock = true;
        r.sourceSsrc = stats_.ssrc;
        const uint64_t expected = stats_.received + stats_.lost;
        const uint64_t expectedNow = expected - reportedExpected_, lostNow = stats_.lost - reportedLost_;
        r.fractionLost = expectedNow ? static_cast<uint8_t>(std::min<uint64_t>(255, lostNow * 256 / expectedNow)) : 0;
        r.cumulativeLost = static_cast<int32_t>(std::min<uint64_t>(stats_.lost, 0x7fffff));
        r.highestSequence = highestSequence_;
        r.jitter = static_cast<uint32_t>(jitter_ts_);
        reportedExpected_ = expected;
        reportedLost_ = stats_.lost;
    }
    // Never an index used before: within the reservation, grown ahead of use (synced first).
    if (reportIndexes_) {
        reportIndexes_->extendIfNeeded(nextReportIndex_);
        if (nextReportIndex_ >= reportIndexes_->limit()) return;  // held back rather than reused
    }
    if (nextReportIndex_ > SrtpSession::kMaxRtcpIndex) return;
    uint8_t packet[128];
    size_t length = writeReceiverReport(r, packet);
    if (reportSrtp_->setRtcpIndex(r.reporterSsrc, nextReportIndex_) != SrtpResult::ok) return;
    if (reportSrtp_->protectRtcp(packet, length) != SrtpResult::ok) return;
    if (!stats_.firstReportIndex) stats_.firstReportIndex = nextReportIndex_;
    stats_.lastReportIndex = nextReportIndex_++;
    if (socket_.sendTo({packet, length}, *stream_.reportTo)) ++stats_.reportsSent;
}

void StationReceiver::receiveAll(Clock::time_point now) {
    uint8_t buffer[2048];
    SocketAddress from;
    for (int i = 0; i < 256; ++i) {
        const ssize_t n = socket_.receive(buffer, from);
        if (n == -EMSGSIZE) continue;  // longer than any packet of ours
        if (n <= 0) return;
        handlePacket({buffer, static_cast<size_t>(n)}, now);
    }
}

void StationReceiver::handlePacket(std::span<uint8_t> packet, Clock::time_point now) {
    const auto header = looksLikeRtcp(packet) ? std::nullopt : RtpPacket::parse(packet);
    if (!header) {
        ++stats_.malformed;
        return;
    }
    // The packet's own stream-info extension names the sender's rollover counter: this
    // receiver can join a stream in progress or follow a restarted gateway.
    const uint32_t ssrc = header->ssrc();
    const auto before = srtp_.rolloverCounter(ssrc);
    size_t length = packet.size();
    const SrtpResult result = unprotectRtpFollowingSender(srtp_, packet, length, stream_.priorityExtensionId);
    if (const auto after = srtp_.rolloverCounter(ssrc);
        result == SrtpResult::ok && before && after && (*after > *before + 1 || *after < *before)) {
        // More than a sequence wrap: the sender restarted, and a new stream begins here.
        ++stats_.rolloverResyncs;
        jitter_.reset();
        playing_ = false;
    }
    if (result != SrtpResult::ok) {
        ++stats_.decryptFailures;
        return;
    }
    const auto rtp = RtpPacket::parse(packet.first(length));
    if (!rtp || rtp->payloadType() != stream_.payloadType || rtp->payload().empty()) {
        ++stats_.malformed;
        return;
    }
    ++stats_.received;
    stats_.bytes += length;
    stats_.ssrc = rtp->ssrc();
    if (auto ext = rtp->oneByteExtension(stream_.priorityExtensionId)) {
        if (auto info = StreamInfo::parse(*ext)) {
            if (stats_.priorityChanges.empty() || info->priority != stats_.lastPriority) {
                const auto unixMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch());
                if (stats_.priorityChanges.size() < 1000) stats_.priorityChanges.emplace_back(unixMs.count(), info->priority);
            }
            stats_.lastPriority = info->priority;
            // What it plays is labelled: the alert and its status, or none.
            const std::string id = info->alert ? info->alert->idString() : "";
            const std::string status = info->alert ? std::string(toString(info->alert->status)) : "";
            if (id != stats_.alertId || status != stats_.alertStatus) {
                if (stats_.alertChanges.size() < 1000) {
                    stats_.alertChanges.push_back({std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::system_clock::now().time_since_epoch())
                                                       .count(),
                                                   id, status});
                }
                if (!id.empty()) {
                    LOA_LOG(warn, kStationReceiverTag) << "emergency " << id << " [" << (status == "actual" ? "ACTUAL" : status)
                                        << "] on air";
                } else {
                    LOA_LOG(info, kStationReceiverTag) << "emergency " << stats_.alertId << " over";
                }
                stats_.alertId = id;
                stats_.alertStatus = status;
            }
        }
    }
    lastArrival_ = now;
    highestSequence_ = rtp->sequence();
    // Interarrival jitter (RFC 3550 A.8): the change in transit time, smoothed by 1/16.
    const auto arrival = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() * 48 / 1000);
    if (lastTransit_) {
        const int64_t d = static_cast<int32_t>((arrival - lastTransit_->second) - rtp->timestamp());
        jitter_ts_ += (static_cast<double>(std::abs(d)) - jitter_ts_) / 16;
    }
    lastTransit_ = {now, arrival - rtp->timestamp()};

    switch (jitter_.insert(rtp->sequence(), rtp->payload())) {
        case JitterBuffer::Insert::late:
            ++stats_.late;
            return;
        case JitterBuffer::Insert::duplicate:
            ++stats_.duplicates;
            return;
        case JitterBuffer::Insert::restarted:
            ++stats_.restarts;
            playing_ = false;
            break;
        case JitterBuffer::Insert::accepted:
            break;
    }
    if (!playing_) {
        const int samples =
            opus_packet_get_nb_samples(rtp->payload().data(), static_cast<opus_int32>(rtp->payload().size()), 48000);
        if (samples > 0 && samples <= kMaxFrame) {
            frameSamples_ = samples;
            decoder_.setPacketSamples(samples);
        }
        playing_ = true;
        nextPlayout_ = now + jitterDelay_;
    }
}

void StationReceiver::playOne() {
    if (!jitter_.started()) return;
    const int samples = decoder_.playNext(jitter_, pcm_);
    const auto& c = decoder_.counters();
    stats_.decoded = c.decoded;
    stats_.fecRecovered = c.fecRecovered;
    stats_.concealed = c.concealed;
    stats_.lost = c.lost;
    stats_.underruns = c.underruns;
    stats_.undecodable = c.undecodable;
    sink_(std::span<const float>(pcm_.data(), static_cast<size_t>(samples * channels_)));
}

}  // namespace loa

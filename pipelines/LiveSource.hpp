#pragma once
// A live feed on the bus: the studio, or the parent gateway's programme. Packets from its
// RtpIngest go through a jitter buffer and the Opus decoder (in-band FEC, then concealment for
// what is missing) and are played on the programme clock, one frame per tick.
//
// Timing: each packet's arrival minus its RTP time gives the feed's offset to the local clock;
// the smallest offset over the last second or two is the feed's timing without network jitter.
// A sample plays at that offset plus its RTP time plus the jitter delay. idealTick() tells the
// programme clock when its next frame should play, so the gateway can align its frame grid with
// the feed's (no frame of waiting) and follow the studio clock (no drift, no growing delay).
// A feed that is not the clock's anchor absorbs skew by dropping or concealing a frame when it
// runs more than a frame off.

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "BusSource.hpp"
#include "JitterDecoder.hpp"
#include "ingest/RtpIngest.hpp"
#include "rtp/JitterBuffer.hpp"

namespace loa {

class LiveSource final : public BusSource {
public:
    /// Counted on the media thread, read by any (the API's metrics).
    struct Counters {
        std::atomic<uint64_t> late{0};  ///< arrived after their turn
        std::atomic<uint64_t> duplicates{0};
        std::atomic<uint64_t> restarts{0};     ///< new stream (SSRC or sequence jump)
        std::atomic<uint64_t> skewDrops{0};    ///< frames dropped to catch up with the feed's clock
        std::atomic<uint64_t> skewInserts{0};  ///< frames concealed to wait for it
        std::atomic<uint64_t> yields{0};       ///< times it gave up the air (lost or silent)
        std::atomic<uint64_t> returns{0};      ///< times it became available again
    };

    /// `level` is live or upstream; an upstream also honours the priority its packets carry
    /// (the parent's filler means the parent is idle). A parent's alert (its packets carry one)
    /// is not this programme's to play: it reaches the stations it is for through an emergency
    /// slot that relays this feed (currentFrame()), and meanwhile the rest keep the programme.
    /// Packets marked emergency without an alert (an older parent) still make it an emergency,
    /// on air at once. `ingest` may be null (tests feed packets with accept()).
    LiveSource(std::string id, PriorityLevel level, const IngestSettings& settings, int channels, int frameSamples,
               RtpIngest* ingest);

    void accept(const IngestPacket& packet);
    void prepare(TimePoint tick) override;
    bool available() const override;
    std::string state() const override;
    void read(std::span<float> frame) override;
    PriorityLevel level() const override;

    /// When the programme clock should play its next frame for this feed, while it is locked.
    std::optional<TimePoint> idealTick() const;
    bool receiving() const { return locked_; }
    const Counters& counters() const { return counters_; }
    const PlayoutCounters& playout() const { return decoder_->counters(); }
    /// True while the feed carries a parent's alert (and for a second after its last packet).
    bool carriesAlert() const { return carryingAlert_; }
    /// The frame prepared this period (for an emergency relaying this feed).
    std::span<const float> currentFrame() const { return frame_; }
    int channels() const { return channels_; }
    /// Level of the last frame prepared, dBFS.
    double levelDbfs() const { return levelDbfs_; }

private:
    void resetStream();
    void decodeNext();
    void take(std::span<float> out);
    double rtpNs(uint64_t extendedTs) const;
    void updateAvailability(TimePoint tick);
    /// An older parent's emergency (marked, without an alert): on air from its first packet.
    bool urgent() const;
    /// Samples decoded or waiting in the jitter buffer (a packet counted as a frame).
    size_t buffered() const;

    IngestSettings settings_;
    bool honourPriority_;
    int channels_;
    int frameSamples_;
    RtpIngest* ingest_;
    std::unique_ptr<JitterDecoder> decoder_;  ///< the feed's codec
    JitterBuffer jitter_;
    std::vector<IngestPacket> arrived_;
    std::vector<float> fifo_;   ///< decoded, not yet played (interleaved)
    std::vector<float> frame_;  ///< this tick's frame
    std::vector<float> scratch_;
    Counters counters_;

    bool locked_ = false;
    bool playing_ = false;
    uint32_t ssrc_ = 0;
    uint64_t firstTs_ = 0;    ///< extended RTP time of the first packet of this stream
    uint64_t highestTs_ = 0;  ///< extended RTP time of the newest packet
    uint64_t nextTs_ = 0;     ///< extended RTP time of the next sample to play
    uint8_t lastPriority_ = 0;
    bool carryingAlert_ = false;  ///< a parent's alert arrived within the last second
    TimePoint alertArrival_{};     ///< the last packet that carried one
    double baseNs_ = 0;  ///< the feed's offset to the local clock (smallest seen)
    double windowMinNs_ = 0, previousMinNs_ = 0;
    TimePoint windowStart_{}, lastArrival_{};

    bool ok_ = false;                          ///< holds (or may take) the air: receiving and audible, grace respected
    std::chrono::nanoseconds silenceSince_{};  ///< since the last packet, at the last tick
    int64_t silentNs_ = 0;
    int64_t goodNs_ = 0;
    double levelDbfs_ = -120;
};

}  // namespace loa

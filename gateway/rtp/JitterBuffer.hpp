#pragma once
// A receiver's reorder/jitter buffer, indexed by RTP sequence number. The caller's playout clock
// takes one packet per frame with popNext(); a missing one is concealed by the caller.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace loa {

class JitterBuffer {
public:
    enum class Insert { accepted, late, duplicate, restarted };

    explicit JitterBuffer(size_t capacity = 128);

    /// Stores a packet. `late`: its turn has already passed. `restarted`: the sequence jumped
    /// further than the buffer holds, either way (a new stream); the buffer restarted at it.
    /// `tag` is a byte the caller keeps with the packet (a receiver keeps its priority there).
    Insert insert(uint16_t sequence, std::span<const uint8_t> payload, uint8_t tag = 0);
    /// The payload due now (empty if that packet is missing), and the sequence advances.
    /// Returns nullopt before the first packet.
    std::optional<std::vector<uint8_t>> popNext();
    /// The payload that popNext() will return next, if it is here: after a missing packet, its
    /// successor carries the missing frame's Opus in-band FEC data.
    const std::vector<uint8_t>* peekNext() const;
    /// The tag of the packet popNext() will return next, if it is here.
    std::optional<uint8_t> peekNextTag() const;
    bool started() const { return started_; }
    /// Packets buffered from the next one due onward.
    size_t depth() const;
    void reset() {
        started_ = false;
        for (auto& s : slots_)
            s.present = false;
    }

private:
    struct Slot {
        bool present = false;
        uint8_t tag = 0;
        uint64_t sequence = 0;
        std::vector<uint8_t> payload;
    };
    uint64_t unwrap(uint16_t sequence) const;

    std::vector<Slot> slots_;
    bool started_ = false;
    uint64_t next_ = 0;     ///< extended sequence number due next
    uint64_t highest_ = 0;  ///< highest extended sequence number received
};

}  // namespace loa

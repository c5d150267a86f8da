#pragma once
// Prerecorded segments: decodes a playlist of files (any format GStreamer's decodebin knows)
// to 48 kHz float PCM on its own thread, ahead of time, so the programme clock reads gaplessly.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <thread>

#include "PcmRing.hpp"
#include "ProgrammeOptions.hpp"

namespace loa {

/// Why `file` cannot be played as a message (empty: it can): it does not decode, holds less than
/// `minimum` of audio, or is silent throughout. Decodes it whole, at most for `timeout`.
std::string audioFileProblem(const std::filesystem::path& file,
                             std::chrono::milliseconds minimum = std::chrono::milliseconds(200),
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

class PlaylistSource {
public:
    struct Counters {
        std::atomic<uint64_t> filesStarted{0};
        std::atomic<uint64_t> fileErrors{0};
        std::atomic<uint64_t> underrunSamples{0};
    };

    PlaylistSource(std::string programmeId, const PlaylistSettings& playlist, int channels);
    ~PlaylistSource();
    PlaylistSource(const PlaylistSource&) = delete;
    PlaylistSource& operator=(const PlaylistSource&) = delete;

    void start();
    void stop();

    /// Fills `out` (interleaved) from the decoded audio; returns how many samples it had.
    /// The rest of `out` is left untouched. Called by the programme clock thread only.
    size_t read(std::span<float> out);
    /// True once a "once" playlist has played every file and everything decoded has been read.
    bool finished() const { return finished_.load() && ring_.available() == 0; }
    const Counters& counters() const { return counters_; }

private:
    void run();
    /// Decodes one file into the ring; returns false if it could not be decoded.
    bool decodeFile(const std::filesystem::path& file);
    const std::filesystem::path* nextFile();

    std::string programmeId_;
    PlaylistSettings playlist_;
    int channels_;
    PcmRing ring_;
    Counters counters_;
    std::vector<size_t> order_;
    size_t position_ = 0;
    std::mt19937 random_;
    std::atomic<bool> running_{false};
    std::atomic<bool> finished_{false};
    std::thread thread_;
};

}  // namespace loa

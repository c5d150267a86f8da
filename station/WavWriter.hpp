#pragma once
// Writes 16-bit PCM WAV; the header's sizes are fixed up on close (or destruction).

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <vector>

namespace loa {

class WavWriter {
public:
    /// Throws loa::Error if the file cannot be created.
    WavWriter(const std::filesystem::path& path, int sampleRate, int channels);
    ~WavWriter();
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;

    /// Interleaved float samples in [-1, 1], clipped.
    void write(std::span<const float> samples);
    void close();

private:
    std::FILE* file_ = nullptr;
    int sampleRate_;
    int channels_;
    uint64_t dataBytes_ = 0;
};

/// A WAV file read back (16-bit PCM or 32-bit float), as interleaved floats.
struct WavData {
    int sampleRate = 0;
    int channels = 0;
    std::vector<float> samples;
};
/// Reads a WAV file; throws loa::Error for anything it does not understand.
WavData readWav(const std::filesystem::path& path);

}  // namespace loa

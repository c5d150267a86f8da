#pragma once
// Plays PCM through GStreamer's autoaudiosink (appsrc ! audioconvert ! audioresample ! sink).

#include <memory>
#include <span>

namespace loa {

class AudioOutput {
public:
    /// Throws loa::Error if no audio sink can be started.
    AudioOutput(int sampleRate, int channels);
    ~AudioOutput();
    AudioOutput(const AudioOutput&) = delete;
    AudioOutput& operator=(const AudioOutput&) = delete;

    void write(std::span<const float> samples);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa

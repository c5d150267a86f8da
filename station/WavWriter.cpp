#include "WavWriter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/Error.hpp"

namespace loa {
namespace {
void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t get16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] | p[1] << 8);
}
uint32_t get32(const uint8_t* p) {
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void header(uint8_t* h, int rate, int channels, uint32_t dataBytes) {
    std::memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + dataBytes);
    std::memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1);
    put16(h + 22, static_cast<uint16_t>(channels));
    put32(h + 24, static_cast<uint32_t>(rate));
    put32(h + 28, static_cast<uint32_t>(rate * channels * 2));
    put16(h + 32, static_cast<uint16_t>(channels * 2));
    put16(h + 34, 16);
    std::memcpy(h + 36, "data", 4);
    put32(h + 40, dataBytes);
}
}  // namespace

WavWriter::WavWriter(const std::filesystem::path& path, int sampleRate, int channels)
    : sampleRate_(sampleRate), channels_(channels) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throwSystemError("cannot create " + path.string(), errno);
    uint8_t h[44];
    header(h, sampleRate_, channels_, 0);
    std::fwrite(h, 1, sizeof h, file_);
}

WavWriter::~WavWriter() {
    close();
}

void WavWriter::write(std::span<const float> samples) {
    if (!file_) return;
    std::vector<uint8_t> bytes(samples.size() * 2);
    for (size_t i = 0; i < samples.size(); ++i) {
        const float s = std::clamp(samples[i], -1.0f, 1.0f);
        put16(&bytes[2 * i], static_cast<uint16_t>(static_cast<int16_t>(std::lrint(s * 32767.0f))));
    }
    std::fwrite(bytes.data(), 1, bytes.size(), file_);
    dataBytes_ += bytes.size();
}

void WavWriter::close() {
    if (!file_) return;
    uint8_t h[44];
    header(h, sampleRate_, channels_, static_cast<uint32_t>(std::min<uint64_t>(dataBytes_, 0xffffffffu - 36)));
    std::fseek(file_, 0, SEEK_SET);
    std::fwrite(h, 1, sizeof h, file_);
    std::fclose(file_);
    file_ = nullptr;
}

WavData readWav(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path.string());
    std::vector<uint8_t> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (d.size() < 12 || std::memcmp(d.data(), "RIFF", 4) != 0 || std::memcmp(d.data() + 8, "WAVE", 4) != 0) {
        throw Error(path.string() + " is not a WAV file");
    }
    WavData out;
    int bits = 0, format = 0;
    size_t at = 12;
    while (at + 8 <= d.size()) {
        const uint32_t size = get32(&d[at + 4]);
        const size_t body = at + 8;
        // A streaming writer may leave the data size at 0 or too large: take what is there.
        const size_t end = std::min(d.size(), body + (size == 0 || size == 0xffffffffu ? d.size() : size));
        if (std::memcmp(&d[at], "fmt ", 4) == 0 && end - body >= 16) {
            format = get16(&d[body]);
            out.channels = get16(&d[body + 2]);
            out.sampleRate = static_cast<int>(get32(&d[body + 4]));
            bits = get16(&d[body + 14]);
        } else if (std::memcmp(&d[at], "data", 4) == 0) {
            if (format == 1 && bits == 16) {
                for (size_t i = body; i + 1 < end; i += 2)
                    out.samples.push_back(static_cast<int16_t>(get16(&d[i])) / 32768.0f);
            } else if (format == 3 && bits == 32) {
                for (size_t i = body; i + 3 < end; i += 4) {
                    float f;
                    std::memcpy(&f, &d[i], 4);
                    out.samples.push_back(f);
                }
            } else {
                throw Error(path.string() + ": unsupported WAV sample format");
            }
            return out;
        }
        at = body + size + (size & 1);
    }
    throw Error(path.string() + " has no data chunk");
}

}  // namespace loa

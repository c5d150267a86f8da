#pragma once
// GStreamer, wrapped once: process-wide initialisation and owning pointers for its objects.

#include <gst/gst.h>

#include <memory>
#include <string>

namespace loa::gst {

/// Calls gst_init once per process; throws loa::Error if a required element is missing.
void ensureInitialised();

struct ObjectUnref {
    void operator()(void* p) const {
        if (p) gst_object_unref(p);
    }
};
struct SampleUnref {
    void operator()(GstSample* s) const {
        if (s) gst_sample_unref(s);
    }
};
struct MessageUnref {
    void operator()(GstMessage* m) const {
        if (m) gst_message_unref(m);
    }
};

using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;

/// A pipeline built from a gst-launch description; set to NULL state and freed on destruction.
class Pipeline {
public:
    /// Throws loa::Error with GStreamer's message if the description does not parse.
    explicit Pipeline(const std::string& description);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    GstElement* get() const { return pipeline_.get(); }
    /// The named element (borrowed, owned by the pipeline); throws if there is none.
    GstElement* element(const char* name) const;
    /// Sets PLAYING; throws loa::Error with the first error on the bus if it fails.
    void play();
    /// The text of a pending error message on the bus, or empty.
    std::string takeError();

private:
    ElementPtr pipeline_;
};

}  // namespace loa::gst

"""Live interviews: one WebRTC peer connection per session, from the join link's offer to hang-up."""

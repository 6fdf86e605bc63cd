#!/bin/sh
# Makes the simulators' base clips (src/simulator/assets/clips/<width>x<height>.mp4), once, by hand: ffmpeg is
# needed only here, never to install or run Reelay. Each clip is 4 frames of a smooth gradient (a few KB), H.264
# without B-frames, so the simulators can stretch it to any requested length by rewriting its timing boxes
# (src/simulator/clips.ts).
set -e
cd "$(dirname "$0")/../src/simulator/assets/clips"
for size in 1280x720 720x1280 720x720 1920x1080 1080x1920 1080x1080; do
  ffmpeg -v error -y -f lavfi -i "gradients=size=$size:rate=2:duration=2:speed=0.05:n=3" \
    -c:v libx264 -preset veryslow -crf 51 -bf 0 -g 8 -pix_fmt yuv420p \
    -movflags +faststart -an -map_metadata -1 -fflags +bitexact "$size.mp4"
done

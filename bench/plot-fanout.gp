# Plots loa-bench fanout results: gnuplot -e "dir='bench/results'" bench/plot-fanout.gp
if (!exists("dir")) dir = "bench/results"
set terminal pngcairo size 1100,480 font ",10"
set output dir."/fanout.png"
set multiplot layout 1,2 title "Fan-out on loopback (2 cores): Loa against plain sendmmsg and stock GStreamer"
set logscale x
set xlabel "stations"
set grid
set key top left
set ylabel "CPU µs per packet sent"
plot for [m in "floor loa-cm80 loa-cm80-rt loa-cm80-libsrtp loa-gcm gstreamer"] \
     sprintf("< grep '^%s ' %s/fanout.dat", m, dir) using 2:3 with linespoints lw 2 title m
set ylabel "packets lost (% of sent)"
set key top left
plot for [m in "floor loa-cm80 loa-cm80-rt loa-cm80-libsrtp loa-gcm loa-multicast gstreamer"] \
     sprintf("< grep '^%s ' %s/fanout.dat", m, dir) using 2:4 with linespoints lw 2 title m
unset multiplot

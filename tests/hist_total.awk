# The counts of the last print of one log2 histogram in rmaptrace --hist
# output, summed; of its "LOW -> HIGH" slot alone when low is set.
#   awk -v t=TITLE [-v low=LOW] -f tests/hist_total.awk
# Used by tests/host/hist.sh (one print) and vm/cases/hist_interval.sh
# (one print per interval, then the last).
$0 == t { n = 0; on = 1; next }
on && /: count/ { next }
on && /^ *[0-9]+ -> [0-9]+ *:/ { if (low == "" || $1 == low) n += $5; next }
on { on = 0; last = n }
END { print (on ? n : last) + 0 }

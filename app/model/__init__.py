"""Pure domain types: job states, exit status, memory and time units, chains. No I/O, no Textual."""

"""What the interviewer says and when."""
